//! What the engine does with a conversation's variables, for every flow alike: reset the session's at the
//! end (T5), keep and restore the user's (T16). The flow only hands its values out in the order of
//! [`FlowInfo::variables`](crate::flow::FlowInfo::variables), which says what each one is.

use crate::flow::{Flow, Lifetime};
use crate::value;

/// Sets every session-lifetime variable back to its default (T5).
pub(super) fn reset_session<F: Flow>(flow: &F, vars: &mut F::Vars) {
    let mut declared = flow.info().variables.iter();
    flow.values_mut(vars, |value| {
        if let Some(variable) = declared.next()
            && variable.lifetime == Lifetime::Session
        {
            value::set(value, &variable.default);
        }
    });
}

/// Overwrites `out` with the values of the user-lifetime variables in declaration order, reusing its
/// strings' capacity.
pub(super) fn save_user<F: Flow>(flow: &F, vars: &F::Vars, out: &mut Vec<String>) {
    let declared = &flow.info().variables;
    let users = declared
        .iter()
        .filter(|v| v.lifetime == Lifetime::User)
        .count();
    out.resize(users, String::new());
    let (mut declared, mut slots) = (declared.iter(), out.iter_mut());
    flow.values(vars, |value| {
        if declared
            .next()
            .is_some_and(|v| v.lifetime == Lifetime::User)
            && let Some(slot) = slots.next()
        {
            value::set(slot, value);
        }
    });
}

/// Restores what [`save_user`] wrote.
pub(super) fn load_user<F: Flow>(flow: &F, vars: &mut F::Vars, saved: &[String]) {
    let (mut declared, mut saved) = (flow.info().variables.iter(), saved.iter());
    flow.values_mut(vars, |value| {
        if declared
            .next()
            .is_some_and(|v| v.lifetime == Lifetime::User)
            && let Some(kept) = saved.next()
        {
            value::set(value, kept);
        }
    });
}
