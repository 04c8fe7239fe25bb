// PiEdge Lab: cross-origin isolation for static hosts.
//
// Browsers only give a page fine-grained timers (5-20 µs instead of 100 µs to
// 1 ms) when it is cross-origin isolated, which takes two response headers:
// Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy:
// require-corp. `trunk serve` and `piedge serve` send them; a plain static
// host (GitHub Pages and the like) cannot. This file then works twice:
//
// - loaded by the page (a classic <script>), it registers itself as a service
//   worker and reloads the page once, when the worker has taken control;
// - running as that service worker, it copies every same-origin response and
//   adds the two headers (and CORP), so the reloaded page is isolated.
//
// It does nothing when the page is already isolated, when service workers are
// unavailable (file://, old browsers, private modes), or after one reload that
// did not help, so it can never loop.

/* global self, window, navigator, sessionStorage, document */
(function () {
    "use strict";
    const RELOAD_FLAG = "piedge-coi-reloaded";

    if (typeof window === "undefined") {
        // Service worker side.
        self.addEventListener("install", function () {
            self.skipWaiting();
        });
        self.addEventListener("activate", function (event) {
            event.waitUntil(self.clients.claim());
        });
        self.addEventListener("fetch", function (event) {
            const request = event.request;
            if (new URL(request.url).origin !== self.location.origin) {
                return;
            }
            // Requests that only want the cache cannot be re-fetched.
            if (request.cache === "only-if-cached" && request.mode !== "same-origin") {
                return;
            }
            event.respondWith(
                fetch(request).then(function (response) {
                    if (response.status === 0 || response.type === "opaque") {
                        return response;
                    }
                    const headers = new Headers(response.headers);
                    headers.set("Cross-Origin-Opener-Policy", "same-origin");
                    headers.set("Cross-Origin-Embedder-Policy", "require-corp");
                    headers.set("Cross-Origin-Resource-Policy", "same-origin");
                    return new Response(response.body, {
                        status: response.status,
                        statusText: response.statusText,
                        headers: headers,
                    });
                })
            );
        });
        return;
    }

    // Page side.
    if (window.crossOriginIsolated) {
        sessionStorage.removeItem(RELOAD_FLAG);
        return;
    }
    if (!window.isSecureContext || !("serviceWorker" in navigator)) {
        return;
    }
    const script = document.currentScript && document.currentScript.src;
    if (!script) {
        return;
    }
    navigator.serviceWorker.register(script).then(
        function () {
            if (sessionStorage.getItem(RELOAD_FLAG)) {
                // Reloaded once already and still not isolated: give up
                // quietly; the lab explains coarse timers itself.
                return;
            }
            const reload = function () {
                sessionStorage.setItem(RELOAD_FLAG, "1");
                window.location.reload();
            };
            if (navigator.serviceWorker.controller) {
                reload();
            } else {
                // The worker claims open pages when it activates.
                navigator.serviceWorker.addEventListener("controllerchange", reload);
            }
        },
        function (error) {
            // Registration can fail (e.g. disabled by policy); the lab still works.
            if (window.console) {
                window.console.info("PiEdge Lab: no service worker (" + error + ")");
            }
        }
    );
})();
