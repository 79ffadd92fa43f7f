//! The one table of native resources an isolate's JavaScript refers to by
//! number (as deno's `ResourceTable`): request and response bodies, streamed
//! body sinks, TCP sockets, WebSockets. Each API stores its own type and
//! finds only entries of that type under an id, so ids never collide across
//! APIs and the host core names none of them. Beside the numbered entries,
//! each API may keep one value of per-isolate state, found by its type (the
//! Durable Objects living in the isolate, for one).

use std::any::{Any, TypeId};
use std::collections::HashMap;

/// Native resources of one isolate, and per-isolate state by type.
#[derive(Default)]
pub(crate) struct Resources {
    next_id: u32,
    entries: HashMap<u32, Box<dyn Any>>,
    state: HashMap<TypeId, Box<dyn Any>>,
}

impl Resources {
    /// Stores `value` under a fresh id (never 0, which JavaScript reads as
    /// "none") and returns the id.
    pub(crate) fn add<T: 'static>(&mut self, value: T) -> u32 {
        loop {
            self.next_id = self.next_id.wrapping_add(1).max(1);
            if !self.entries.contains_key(&self.next_id) {
                break;
            }
        }
        self.entries.insert(self.next_id, Box::new(value));
        self.next_id
    }

    /// Stores `value` under an id it held before (a body between two reads).
    pub(crate) fn put_back<T: 'static>(&mut self, id: u32, value: T) {
        self.entries.insert(id, Box::new(value));
    }

    /// The entry `id`, if it is a `T`.
    pub(crate) fn get<T: 'static>(&self, id: u32) -> Option<&T> {
        self.entries.get(&id)?.downcast_ref()
    }

    /// The entry `id`, if it is a `T`, to change in place.
    pub(crate) fn get_mut<T: 'static>(&mut self, id: u32) -> Option<&mut T> {
        self.entries.get_mut(&id)?.downcast_mut()
    }

    /// Takes entry `id` out of the table, if it is a `T` (an entry of
    /// another type stays).
    pub(crate) fn take<T: 'static>(&mut self, id: u32) -> Option<T> {
        if !self.entries.get(&id)?.is::<T>() {
            return None;
        }
        let entry = self.entries.remove(&id)?;
        entry.downcast().ok().map(|b| *b)
    }

    /// Every entry of type `T`, with its id.
    pub(crate) fn iter<T: 'static>(&self) -> impl Iterator<Item = (u32, &T)> {
        self.entries
            .iter()
            .filter_map(|(id, e)| Some((*id, e.downcast_ref::<T>()?)))
    }

    /// The isolate's one value of state `T`, created empty on first use.
    pub(crate) fn state<T: Default + 'static>(&mut self) -> &mut T {
        self.state
            .entry(TypeId::of::<T>())
            .or_insert_with(|| Box::new(T::default()))
            .downcast_mut()
            .expect("state is stored under its own type")
    }

    /// The isolate's state `T`, if it was ever created.
    pub(crate) fn state_ref<T: 'static>(&self) -> Option<&T> {
        self.state.get(&TypeId::of::<T>())?.downcast_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::Resources;

    struct Body(&'static str);
    struct Socket;

    #[test]
    fn entries_are_found_only_as_their_own_type() {
        let mut table = Resources::default();
        let body = table.add(Body("a"));
        let socket = table.add(Socket);
        assert_ne!(body, socket);
        assert_ne!(body, 0);
        assert!(table.get::<Socket>(body).is_none());
        assert!(table.take::<Socket>(body).is_none());
        assert_eq!(table.get::<Body>(body).map(|b| b.0), Some("a"));
        assert_eq!(table.take::<Body>(body).map(|b| b.0), Some("a"));
        assert!(table.get::<Body>(body).is_none());
        assert_eq!(
            table.iter::<Socket>().map(|(id, _)| id).collect::<Vec<_>>(),
            [socket]
        );
    }

    #[test]
    fn a_taken_entry_can_come_back_under_its_id() {
        let mut table = Resources::default();
        let id = table.add(Body("chunked"));
        let body = table.take::<Body>(id).unwrap();
        table.put_back(id, body);
        assert!(table.get::<Body>(id).is_some());
        assert_ne!(table.add(Socket), id);
    }

    #[test]
    fn state_is_one_value_per_type() {
        let mut table = Resources::default();
        assert!(table.state_ref::<Vec<u32>>().is_none());
        table.state::<Vec<u32>>().push(7);
        table.state::<Vec<u32>>().push(8);
        assert_eq!(table.state_ref::<Vec<u32>>().unwrap(), &[7, 8]);
    }
}
