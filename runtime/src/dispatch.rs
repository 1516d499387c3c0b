//! Finding an intent by name without comparing it against every name a flow knows: code generation lays
//! the names out in an open-addressing table with [`table`], generated code looks the caller's intent up
//! with [`index`]. Both hash with [`hash`], so the table the compiler builds is the one the runtime probes,
//! and a lookup costs one hash and (almost always) one string comparison, however many intents a state has.

/// Marks an empty slot of a [`table`]; a taken one holds its name's index plus one.
pub const EMPTY: u32 = 0;

/// FNV-1a over the name's bytes, then a final mix so that the low bits — the slot — depend on every byte.
#[inline]
pub fn hash(name: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for &byte in name.as_bytes() {
        h ^= u32::from(byte);
        h = h.wrapping_mul(0x0100_0193);
    }
    h ^= h >> 16;
    h = h.wrapping_mul(0x7feb_352d);
    h ^ (h >> 15)
}

/// The slots for `names` (distinct): a power of two, at least twice as many as the names, each holding one
/// more than the index of the name that landed there (the next free slot when its own is taken), or
/// [`EMPTY`].
pub fn table(names: &[&str]) -> Vec<u32> {
    let size = (names.len() * 2).next_power_of_two().max(2);
    let mask = size - 1;
    let mut slots = vec![EMPTY; size];
    for (i, name) in names.iter().enumerate() {
        let mut at = hash(name) as usize & mask;
        while slots[at] != EMPTY {
            at = (at + 1) & mask;
        }
        slots[at] = u32::try_from(i + 1).unwrap_or(EMPTY);
    }
    slots
}

/// The index of `name` in `names`, found through `slots` ([`table`] of the same names).
#[inline]
pub fn index(name: &str, names: &[&str], slots: &[u32]) -> Option<u32> {
    let mask = slots.len().wrapping_sub(1);
    let mut at = hash(name) as usize & mask;
    // At most half the slots are taken, so probing stops at an empty one long before it wraps around.
    for _ in 0..slots.len() {
        let taken = *slots.get(at)?;
        if taken == EMPTY {
            return None;
        }
        let i = taken - 1;
        if names.get(i as usize).is_some_and(|known| *known == name) {
            return Some(i);
        }
        at = (at + 1) & mask;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_found_and_no_other() {
        for count in [0, 1, 2, 3, 60, 61, 500] {
            let owned: Vec<String> = (0..count).map(|i| format!("Topic{i:02}")).collect();
            let names: Vec<&str> = owned.iter().map(String::as_str).collect();
            let slots = table(&names);
            assert!(slots.len() >= 2 * names.len() && slots.len().is_power_of_two());
            for (i, name) in names.iter().enumerate() {
                assert_eq!(index(name, &names, &slots), Some(i as u32), "{name}");
            }
            for stranger in ["", "Topic", "topic01", "Topic01 ", "PARLOA.EndConversation"] {
                if !names.contains(&stranger) {
                    assert_eq!(index(stranger, &names, &slots), None, "{stranger}");
                }
            }
        }
    }

    #[test]
    fn colliding_names_are_probed_past() {
        // Names whose home slots collide in a small table still resolve to their own index.
        let owned: Vec<String> = (0..2_000).map(|i| format!("n{i}")).collect();
        let mut names: Vec<&str> = Vec::new();
        let home = hash(owned[0].as_str()) & 7;
        for name in &owned {
            if hash(name) & 7 == home && names.len() < 4 {
                names.push(name);
            }
        }
        assert_eq!(
            names.len(),
            4,
            "four names share a home slot of an 8-slot table"
        );
        let slots = table(&names);
        assert_eq!(slots.len(), 8);
        for (i, name) in names.iter().enumerate() {
            assert_eq!(index(name, &names, &slots), Some(i as u32));
        }
    }

    #[test]
    fn the_hash_is_fixed() {
        // Generated code embeds tables the compiler made with this hash: changing it must be deliberate.
        assert_eq!(hash(""), 0xa61d_b31c);
        assert_eq!(hash("Topic01"), 0x5a07_31dc);
        assert_eq!(hash("PARLOA.EndConversation"), 0x3f54_1b3f);
    }
}
