// teach-store.js: the page's saved teaching projects, in IndexedDB
// (database "mobilenet-teach", store "projects", keyed by name). A record
// is {name, model, state, thumbs, savedAt}: state is Teacher.save()'s
// bytes (classes, examples as feature vectors, head), thumbs the page's
// thumbnails per class (data: URLs). boot.js exposes it to the Go UI as
// globalThis.teachStore.

const DB = 'mobilenet-teach';
const STORE = 'projects';

function open() {
  return new Promise((resolve, reject) => {
    if (typeof indexedDB === 'undefined') {
      reject(new Error('this browser has no IndexedDB (private mode?): projects cannot be saved'));
      return;
    }
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, {keyPath: 'name'});
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error || new Error('IndexedDB did not open'));
    req.onblocked = () => reject(new Error('IndexedDB is blocked by another tab'));
  });
}

async function tx(mode, fn) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const t = db.transaction(STORE, mode);
      const r = fn(t.objectStore(STORE));
      t.oncomplete = () => resolve(r && 'result' in r ? r.result : undefined);
      t.onerror = () => reject(t.error || new Error('IndexedDB transaction failed'));
      t.onabort = () => reject(t.error || new Error('IndexedDB transaction aborted (storage full?)'));
    });
  } finally {
    db.close();
  }
}

/** saveProject stores (or replaces) a project. state: Uint8Array or ArrayBuffer. */
export async function saveProject({name, model, state, thumbs = []}) {
  if (!name) throw new Error('a project needs a name');
  const bytes = state instanceof ArrayBuffer ? state.slice(0) : state.buffer.slice(state.byteOffset, state.byteOffset + state.byteLength);
  await tx('readwrite', (s) => s.put({name, model, state: bytes, thumbs, savedAt: Date.now()}));
}

/** loadProject returns the project named name ({name, model, state: Uint8Array, thumbs, savedAt}), or null. */
export async function loadProject(name) {
  const r = await tx('readonly', (s) => s.get(name));
  if (!r) return null;
  return {...r, state: r.state instanceof ArrayBuffer ? new Uint8Array(r.state) : r.state};
}

/** listProjects lists the saved projects, newest first: [{name, model, savedAt}]. */
export async function listProjects() {
  const all = (await tx('readonly', (s) => s.getAll())) || [];
  return all.map(({name, model, savedAt}) => ({name, model, savedAt})).sort((a, b) => b.savedAt - a.savedAt);
}

/** deleteProject deletes a saved project. */
export async function deleteProject(name) {
  await tx('readwrite', (s) => s.delete(name));
}
