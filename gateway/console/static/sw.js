/* The console's service worker (served as /console/sw.js, scope /console/): see
   gateway/console/offline.py. Static files: from the cache first. The pages of the signed-in
   concierge's village (told by the page, offline.js): from the network, kept as last loaded, and
   from the cache when the link is down, for 24 hours at most. Another village's pages are never
   kept; all of them are forgotten at sign-out or when another village signs in. */
"use strict";
var SHELL = "maillage-shell-v1", PAGES = "maillage-pages", DAY = 24 * 3600 * 1000;
var REFRESH = 15 * 60 * 1000;  // a page kept less than this long ago is not fetched again
var STATIC = ["console.css", "console.js", "forms.js", "filter.js", "picker.js", "offline.js",
  "icon.svg"].map(function (name) { return "/console/static/" + name; });
var KEPT = ["aujourdhui", "comptoir", "catalogue", "animations"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL).then(function (c) {
    return c.addAll(STATIC.concat(["/console/manifest.webmanifest"]));
  }).then(function () { return self.skipWaiting(); }));
});
self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n !== SHELL && n !== PAGES; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

function village() {
  return caches.open(PAGES).then(function (c) { return c.match("/console/__village"); })
    .then(function (r) { return r ? r.text() : null; });
}
function forget() { return caches.delete(PAGES); }
function keep(cache, url, response) {
  var headers = new Headers(response.headers);
  headers.set("X-Maillage-Saved", String(Date.now()));
  return response.blob().then(function (body) {
    return cache.put(url, new Response(body, { status: response.status, headers: headers }));
  });
}
function fresh(response) {
  return response && Date.now() - Number(response.headers.get("X-Maillage-Saved") || 0) < DAY;
}

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "forget") { event.waitUntil(forget()); return; }
  if (data.type !== "village" || !/^[\w-]{1,40}$/.test(data.village)) { return; }
  event.waitUntil(village().then(function (known) {
    return (known && known !== data.village) ? forget() : null;
  }).then(function () { return caches.open(PAGES); }).then(function (cache) {
    return cache.put("/console/__village", new Response(data.village)).then(function () {
      var base = "/console/villages/" + data.village + "/";
      return Promise.all(KEPT.map(function (tail) {
        return cache.match(base + tail).then(function (hit) {
          if (hit && Date.now() - Number(hit.headers.get("X-Maillage-Saved")) < REFRESH) { return null; }
          return fetch(base + tail, { credentials: "same-origin", redirect: "manual" })
            .then(function (r) { return r.status === 200 ? keep(cache, base + tail, r) : null; });
        }).catch(function () { return null; });
      }));
    });
  }));
});

function fromCache(url) {
  return caches.open(PAGES).then(function (cache) {
    return cache.match(url).then(function (hit) {
      if (fresh(hit)) { return hit; }
      if (hit) { cache.delete(url); }
      return village().then(function (v) {
        return v ? cache.match("/console/villages/" + v + "/comptoir") : null;
      }).then(function (counter) { return fresh(counter) ? counter : null; });
    });
  });
}
function offlinePage() {
  return new Response("<!doctype html><html lang=\"fr\"><meta charset=\"utf-8\"><title>Hors ligne" +
    " — Maillage</title><main><h1>Hors ligne</h1><p>Cette page n'est pas gardée sur cet " +
    "appareil. Le comptoir reste utilisable s'il a été ouvert aujourd'hui avec la connexion." +
    "</p></main></html>", { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
}

self.addEventListener("fetch", function (event) {
  var request = event.request, url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) { return; }
  if (url.pathname.indexOf("/console/static/") === 0) {
    event.respondWith(caches.match(request).then(function (hit) { return hit || fetch(request); }));
    return;
  }
  if (request.mode !== "navigate" || url.pathname.indexOf("/console") !== 0) { return; }
  event.respondWith(fetch(request).then(function (response) {
    var page = url.pathname;
    return village().then(function (v) {
      var tail = v && page.indexOf("/console/villages/" + v + "/") === 0 &&
        page.slice(("/console/villages/" + v + "/").length);
      if (response.status === 200 && !response.redirected && KEPT.indexOf(tail) >= 0) {
        var copy = response.clone();
        caches.open(PAGES).then(function (cache) { return keep(cache, page, copy); });
      }
      return response;
    });
  }, function () {
    return fromCache(url.pathname).then(function (hit) { return hit || offlinePage(); });
  }));
});
