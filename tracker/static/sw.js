// Service worker for /visits/ (served by the visits.service_worker route with
// Service-Worker-Allowed: /visits/). It only handles GET requests: visit pages are fetched from
// the network first and a copy is kept, so the visit form can be opened again without a
// connection; static files come from the cache. POSTs are never touched: the page's outbox
// (outbox.js) keeps a form saved offline and sends it when the connection is back.
"use strict";
var CACHE = "tracker-visits-v1";

self.addEventListener("install", function (event) {
  event.waitUntil(self.skipWaiting());
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n !== CACHE; }).map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (url.pathname.indexOf("/visits/attachments/") === 0) { return; }  // private files: never cached
  var isStatic = url.pathname.indexOf("/static/") === 0;
  if (isStatic) {
    event.respondWith(caches.match(request).then(function (hit) {
      return hit || fetch(request).then(function (response) {
        if (response.ok) { var copy = response.clone(); caches.open(CACHE).then(function (c) { c.put(request, copy); }); }
        return response;
      });
    }));
    return;
  }
  if (request.mode === "navigate" && url.pathname.indexOf("/visits/") === 0) {
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok && !response.redirected) {
        var copy = response.clone();
        caches.open(CACHE).then(function (c) { c.put(request, copy); });
      }
      return response;
    }).catch(function () {
      return caches.match(request).then(function (hit) {
        return hit || new Response(
          "<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'>" +
          "<title>无网络</title><p style='font-family:sans-serif;padding:1rem'>当前无网络，且此页面未曾在本机打开过。请恢复网络后重试。</p>",
          {status: 503, headers: {"Content-Type": "text/html; charset=utf-8"}});
      });
    }));
  }
});
