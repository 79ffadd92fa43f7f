//! WebAssembly for hearth, on wasmtime (Cranelift). Knows nothing of
//! JavaScript: the runtime's `web/wasm` builds the `WebAssembly` namespace on
//! top of this.
//!
//! - One [`Engine`] per process, shared by every isolate ([`engine`]). Linear
//!   memories are reserved whole up front and never move, so JavaScript can
//!   see a memory as an `ArrayBuffer` over its bytes without copying.
//! - The CPU limit: compiled code checks an epoch that a timer thread advances
//!   every [`TICK`]; at each tick a store asks its [`Host`] whether the
//!   deadline passed, and traps with [`Trap::Interrupt`] when it has.
//! - The memory limit: every `memory.grow` (and every new memory) asks the
//!   [`Host`] to charge the bytes first ([`Limiter`]).
//! - Shared memories ([`wasmtime::SharedMemory`]) belong to no store, so no
//!   limiter sees them grow: the runtime charges their growth itself.
//! - Compiled code is cached on disk ([`Cache`]), keyed by the module bytes'
//!   SHA-256 under a folder named for the engine's compatibility hash, so a
//!   new wasmtime or a new configuration never reads stale code.

use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

pub use wasmtime;
use wasmtime::{Config, Engine, Module, ResourceLimiter, Store, Trap, UpdateDeadline};

/// How often the epoch advances: the granularity of the CPU limit in wasm.
pub const TICK: Duration = Duration::from_millis(5);

/// Address space reserved for each linear memory: all of wasm32's 4 GiB, so a
/// memory grows in place (its base address never changes) and bounds checks
/// are done by guard pages.
const MEMORY_RESERVATION: u64 = 4 << 30;

/// The process's engine, created (with its epoch thread) on first use.
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut config = Config::new();
        config
            .epoch_interruption(true)
            .memory_reservation(MEMORY_RESERVATION)
            .memory_may_move(false)
            .memory_reservation_for_growth(0)
            .wasm_reference_types(true)
            .wasm_function_references(true)
            .wasm_gc(false)
            .wasm_exceptions(true)
            // Shared memories (the threads proposal's atomics, and the
            // SharedArrayBuffer behind `Memory({shared: true})`). Wasm
            // cannot spawn threads here; an isolate is one thread.
            .wasm_threads(true)
            .shared_memory(true);
        let engine = Engine::new(&config).expect("the wasm engine configuration is valid");
        let ticking = engine.weak();
        std::thread::Builder::new()
            .name("hearth-wasm-epoch".into())
            .spawn(move || {
                while let Some(engine) = ticking.upgrade() {
                    engine.increment_epoch();
                    drop(engine);
                    std::thread::sleep(TICK);
                }
            })
            .expect("the epoch thread starts");
        engine
    })
}

/// What a store needs from the isolate it belongs to.
pub trait Host: 'static {
    /// When the code now running must stop (the isolate's CPU deadline).
    fn deadline(&self) -> Option<Instant>;
    /// The limiter the store consults for every growth (it charges the
    /// isolate's memory limit).
    fn limiter(&mut self) -> &mut Limiter;
}

/// Remembers whether a memory grew since it was last asked, so the
/// runtime knows when views over linear memory must be renewed.
#[derive(Default)]
pub struct Limiter {
    grew: bool,
    charge: Option<Box<dyn FnMut(usize) -> bool>>,
}

impl Limiter {
    /// A limiter charging growth through `charge`.
    ///
    /// # Safety
    ///
    /// wasmtime wants limiters `Send`; `charge` need not be (an isolate's
    /// budget is thread-local), so the limiter, and the store holding it,
    /// must never leave the thread that made it.
    pub unsafe fn new(charge: impl FnMut(usize) -> bool + 'static) -> Limiter {
        Limiter {
            grew: false,
            charge: Some(Box::new(charge)),
        }
    }

    /// Whether any memory grew since the last call.
    pub fn take_grew(&mut self) -> bool {
        std::mem::take(&mut self.grew)
    }

    fn admit(&mut self, bytes: usize) -> bool {
        self.charge.as_mut().is_none_or(|charge| charge(bytes))
    }
}

// SAFETY: see `Limiter::new`, whose callers keep the limiter on its thread;
// a limiter without a charge function holds nothing thread-bound.
unsafe impl Send for Limiter {}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if maximum.is_some_and(|max| desired > max) {
            return Ok(false);
        }
        let ok = self.admit(desired.saturating_sub(current));
        self.grew |= ok && desired != current;
        Ok(ok)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if maximum.is_some_and(|max| desired > max) {
            return Ok(false);
        }
        let bytes = desired.saturating_sub(current) * std::mem::size_of::<usize>();
        Ok(self.admit(bytes))
    }

    fn instances(&self) -> usize {
        100_000
    }

    fn tables(&self) -> usize {
        100_000
    }

    fn memories(&self) -> usize {
        100_000
    }
}

/// A store for one isolate: growth is charged to `host`, and code stops
/// with [`Trap::Interrupt`] once the host's deadline has passed.
pub fn new_store<H: Host>(host: H) -> Store<H> {
    let mut store = Store::new(engine(), host);
    store.limiter(|host| host.limiter() as &mut dyn ResourceLimiter);
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(|cx| {
        if cx.data().deadline().is_some_and(|d| Instant::now() > d) {
            Ok(UpdateDeadline::Interrupt)
        } else {
            Ok(UpdateDeadline::Continue(1))
        }
    });
    store
}

/// Whether an error out of wasm is the CPU deadline's interrupt.
pub fn is_interrupt(error: &wasmtime::Error) -> bool {
    error.downcast_ref::<Trap>() == Some(&Trap::Interrupt)
}

/// Checks that `bytes` are a valid module for this engine.
pub fn validate(bytes: &[u8]) -> Result<(), String> {
    Module::validate(engine(), bytes).map_err(|e| reason(&e))
}

/// The contents of the custom sections named `name`, in order (wasmtime
/// keeps none in a compiled module, so they are read from the bytes).
pub fn custom_sections(bytes: &[u8], name: &str) -> Vec<Vec<u8>> {
    wasmparser::Parser::new(0)
        .parse_all(bytes)
        .filter_map(|payload| match payload {
            Ok(wasmparser::Payload::CustomSection(section)) if section.name() == name => {
                Some(section.data().to_vec())
            }
            _ => None,
        })
        .collect()
}

/// A wasmtime error as one line: its message and its causes.
pub fn reason(error: &wasmtime::Error) -> String {
    format!("{error:#}")
}

/// Compiled modules on disk, keyed by the bytes' SHA-256.
#[derive(Clone, Debug)]
pub struct Cache {
    dir: PathBuf,
}

impl Cache {
    /// A cache under `root` (one folder per engine build and configuration).
    pub fn new(root: &Path) -> Cache {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        engine().precompile_compatibility_hash().hash(&mut hasher);
        Cache {
            dir: root.join(format!("{:016x}", hasher.finish())),
        }
    }

    /// The folder holding this engine's compiled modules.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The compiled module for `bytes`: read from the cache, or compiled
    /// (and written to the cache; a cache that cannot be written is only
    /// logged). Fails with wasmtime's reason when the bytes are invalid.
    /// Compiled modules are also kept in memory for the process's life, so
    /// every isolate running the same bytes shares one copy of the code.
    pub fn module(&self, bytes: &[u8]) -> Result<Module, String> {
        static LOADED: OnceLock<Mutex<HashMap<String, Module>>> = OnceLock::new();
        let key: String = Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        // Held while loading: isolates starting together compile a module
        // once, the others wait for it.
        let mut loaded = LOADED
            .get_or_init(Mutex::default)
            .lock()
            .expect("module map poisoned");
        if let Some(module) = loaded.get(&key) {
            return Ok(module.clone());
        }
        let module = self.load(&key, bytes)?;
        loaded.insert(key, module.clone());
        Ok(module)
    }

    fn load(&self, key: &str, bytes: &[u8]) -> Result<Module, String> {
        let path = self.dir.join(format!("{key}.cwasm"));
        if path.is_file() {
            // SAFETY: files in this folder are written only by `store` below
            // from `Module::serialize` of this same engine configuration
            // (the folder is named for the engine's compatibility hash);
            // wasmtime checks the header, and a file it refuses is recompiled.
            match unsafe { Module::deserialize_file(engine(), &path) } {
                Ok(module) => return Ok(module),
                Err(e) => tracing::warn!("ignoring cached {}: {}", path.display(), reason(&e)),
            }
        }
        let module = Module::new(engine(), bytes).map_err(|e| reason(&e))?;
        if let Err(e) = self.store(&path, &module) {
            tracing::warn!("cannot cache compiled wasm in {}: {e}", path.display());
        }
        Ok(module)
    }

    fn store(&self, path: &Path, module: &Module) -> Result<(), String> {
        let bytes = module.serialize().map_err(|e| reason(&e))?;
        std::fs::create_dir_all(&self.dir).map_err(|e| e.to_string())?;
        // Written aside and renamed: a reader never sees half a file.
        let partial = path.with_extension(format!("{}.partial", std::process::id()));
        std::fs::write(&partial, bytes).map_err(|e| e.to_string())?;
        std::fs::rename(&partial, path).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(module (func (export "f") (result i32) i32.const 7))`
    const SEVEN: &[u8] = &[
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f,
        0x03, 0x02, 0x01, 0x00, 0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00, 0x0a, 0x06, 0x01, 0x04,
        0x00, 0x41, 0x07, 0x0b,
    ];

    struct TestHost {
        limiter: Limiter,
        deadline: Option<Instant>,
    }

    impl Host for TestHost {
        fn deadline(&self) -> Option<Instant> {
            self.deadline
        }
        fn limiter(&mut self) -> &mut Limiter {
            &mut self.limiter
        }
    }

    #[test]
    fn validates_and_names_the_reason() {
        assert!(validate(SEVEN).is_ok());
        let err = validate(b"\0asm\x01\0\0\0\x01").unwrap_err();
        assert!(!err.is_empty());
        assert!(validate(b"not wasm").is_err());
    }

    #[test]
    fn the_cache_compiles_once_then_reads_from_disk() {
        let root = std::env::temp_dir().join(format!("hearth-wasm-cache-{}", std::process::id()));
        let cache = Cache::new(&root);
        let module = cache.module(SEVEN).unwrap();
        assert_eq!(module.exports().count(), 1);
        let files: Vec<_> = std::fs::read_dir(cache.dir()).unwrap().collect();
        assert_eq!(files.len(), 1);
        // Read back from disk (not from the in-memory map).
        let key: String = Sha256::digest(SEVEN)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let again = cache.load(&key, SEVEN).unwrap();
        let mut store = new_store(TestHost {
            limiter: Limiter::default(),
            deadline: None,
        });
        let instance = wasmtime::Instance::new(&mut store, &again, &[]).unwrap();
        let f = instance.get_typed_func::<(), i32>(&mut store, "f").unwrap();
        assert_eq!(f.call(&mut store, ()).unwrap(), 7);
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn growth_is_charged_and_can_be_refused() {
        let charged = std::rc::Rc::new(std::cell::Cell::new(0usize));
        let seen = charged.clone();
        let mut store = new_store(TestHost {
            // SAFETY: the store stays on this test's thread.
            limiter: unsafe {
                Limiter::new(move |bytes| {
                    seen.set(seen.get() + bytes);
                    seen.get() <= 2 * 65536
                })
            },
            deadline: None,
        });
        let memory = wasmtime::Memory::new(&mut store, wasmtime::MemoryType::new(1, None)).unwrap();
        let base = memory.data_ptr(&store);
        assert_eq!(charged.get(), 65536);
        memory.grow(&mut store, 1).unwrap();
        assert!(store.data_mut().limiter.take_grew());
        assert_eq!(memory.data_ptr(&store), base, "memories never move");
        assert!(memory.grow(&mut store, 16384).is_err());
        assert_eq!(memory.size(&store), 2);
    }
}
