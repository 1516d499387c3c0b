//! Typed indices into the IR's tables. A [`BlockId`] cannot index the states by mistake, and every id is
//! the `u32` the runtime numbers blocks, states and handlers with, so both back ends hand the engine the
//! number as it is.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Index, IndexMut};

/// An index into one table of the IR.
pub trait Id: Copy + Eq {
    /// The id of entry `index`.
    fn new(index: usize) -> Self;
    /// The entry's position in its table.
    fn index(self) -> usize;
}

macro_rules! ids {
    ($( $(#[$doc:meta])* $name:ident; )*) => { $(
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(u32);

        impl $name {
            /// The id of entry `index`.
            pub fn new(index: usize) -> Self {
                // A table of 2³² entries does not fit in memory: lowering never gets near the limit.
                $name(u32::try_from(index).unwrap_or(u32::MAX))
            }

            /// The entry's position in its table.
            pub const fn index(self) -> usize {
                self.0 as usize
            }

            /// The number the runtime knows this entry by (`BlockIx`, `StateIx`, `HandlerIx`).
            pub const fn get(self) -> u32 {
                self.0
            }
        }

        impl Id for $name {
            fn new(index: usize) -> Self {
                $name::new(index)
            }

            fn index(self) -> usize {
                $name::index(self)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
    )* };
}

ids! {
    /// Index into [`Flow::variables`](super::Flow::variables).
    VarId;
    /// Index into [`Flow::blocks`](super::Flow::blocks).
    BlockId;
    /// Index into [`Flow::states`](super::Flow::states); 0 is the Start Conversation block.
    StateId;
    /// Index into [`Flow::services`](super::Flow::services).
    ServiceId;
    /// Index into [`Flow::dialogs`](super::Flow::dialogs); 0 is `main`.
    DialogId;
    /// Index into [`Flow::handlers`](super::Flow::handlers).
    HandlerId;
    /// Index into [`Flow::patterns`](super::Flow::patterns).
    PatternId;
}

impl StateId {
    /// The Start Conversation state, where every conversation begins.
    pub const START: StateId = StateId(0);
}

impl DialogId {
    /// The main dialog.
    pub const MAIN: DialogId = DialogId(0);
}

/// A table indexed by one kind of id only.
pub struct IdVec<I, T> {
    items: Vec<T>,
    id: PhantomData<fn() -> I>,
}

impl<I: Id, T> IdVec<I, T> {
    /// An empty table.
    pub const fn new() -> Self {
        IdVec {
            items: Vec::new(),
            id: PhantomData,
        }
    }

    /// Appends `item`; returns its id.
    pub fn push(&mut self, item: T) -> I {
        self.items.push(item);
        I::new(self.items.len() - 1)
    }

    /// The entry of `id`, if the table has one.
    pub fn get(&self, id: I) -> Option<&T> {
        self.items.get(id.index())
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when the table has no entry.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The entries in id order.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.items.iter()
    }

    /// Every id with its entry, in id order.
    pub fn enumerate(&self) -> impl DoubleEndedIterator<Item = (I, &T)> + ExactSizeIterator {
        self.items.iter().enumerate().map(|(i, t)| (I::new(i), t))
    }

    /// Every id, in order.
    pub fn ids(&self) -> impl DoubleEndedIterator<Item = I> + ExactSizeIterator + use<I, T> {
        (0..self.items.len()).map(I::new)
    }

    /// The entries as a slice, in id order.
    pub fn as_slice(&self) -> &[T] {
        &self.items
    }
}

impl<I: Id, T> Default for IdVec<I, T> {
    fn default() -> Self {
        IdVec::new()
    }
}

impl<I, T: Clone> Clone for IdVec<I, T> {
    fn clone(&self) -> Self {
        IdVec {
            items: self.items.clone(),
            id: PhantomData,
        }
    }
}

impl<I, T: PartialEq> PartialEq for IdVec<I, T> {
    fn eq(&self, other: &Self) -> bool {
        self.items == other.items
    }
}

impl<I, T: fmt::Debug> fmt::Debug for IdVec<I, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.items.fmt(f)
    }
}

impl<I: Id, T> Index<I> for IdVec<I, T> {
    type Output = T;

    fn index(&self, id: I) -> &T {
        &self.items[id.index()]
    }
}

impl<I: Id, T> IndexMut<I> for IdVec<I, T> {
    fn index_mut(&mut self, id: I) -> &mut T {
        &mut self.items[id.index()]
    }
}

impl<I: Id, T> FromIterator<T> for IdVec<I, T> {
    fn from_iter<It: IntoIterator<Item = T>>(items: It) -> Self {
        IdVec {
            items: items.into_iter().collect(),
            id: PhantomData,
        }
    }
}

impl<'a, I: Id, T> IntoIterator for &'a IdVec<I, T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}
