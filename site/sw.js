// sw.js: the service worker that lets a second visit work offline.
//
// The page's own files (HTML, JS, CSS, wasm, the catalog and labels) are
// fetched from the network first, so a new build shows at once, and
// copied into a cache that answers when the network does not. Models
// (.tflite) are left alone: mobilenet.js caches them itself (Cache Storage
// "mobilenet-models-v1") with a progress bar.

const SITE_CACHE = 'mobilenet-site-v1';

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (ev) => ev.waitUntil(self.clients.claim()));

self.addEventListener('fetch', (ev) => {
  const req = ev.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== self.location.origin || url.pathname.endsWith('.tflite')) return;
  ev.respondWith(
    (async () => {
      const cache = await caches.open(SITE_CACHE);
      try {
        const resp = await fetch(req);
        if (resp.ok && resp.type === 'basic') await cache.put(req, resp.clone());
        return resp;
      } catch (e) {
        const hit = await cache.match(req, {ignoreSearch: url.pathname === '/' || url.pathname.endsWith('.html')});
        if (hit) return hit;
        throw e;
      }
    })(),
  );
});
