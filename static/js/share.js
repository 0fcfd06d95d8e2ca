// The share row of guides and courses (templates/seo/share.html): the e-mail link works everywhere;
// "Copy link" and "Share…" appear only where the browser can do them. Nothing is sent to anyone else.
(function () {
  "use strict";

  function enhance(row) {
    var url = row.getAttribute("data-share-url");
    var title = row.getAttribute("data-share-title");
    var status = row.querySelector("[data-share-status]");
    var copyItem = row.querySelector("[data-share-copy]");
    var nativeItem = row.querySelector("[data-share-native]");

    function say(message) {
      status.textContent = message;
    }

    if (copyItem && navigator.clipboard && window.isSecureContext) {
      copyItem.hidden = false;
      copyItem.querySelector("button").addEventListener("click", function () {
        navigator.clipboard.writeText(url).then(
          function () { say("Link copied."); },
          function () { say("Could not copy. The link is " + url); }
        );
      });
    }

    if (nativeItem && navigator.share) {
      nativeItem.hidden = false;
      nativeItem.querySelector("button").addEventListener("click", function () {
        say("");
        navigator.share({ title: title, url: url }).catch(function (error) {
          if (error.name !== "AbortError") {
            say("Could not open sharing. The link is " + url);
          }
        });
      });
    }
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-share]"), enhance);
  }

  // Loaded with defer, so the page is parsed; the check keeps it safe if it is ever loaded otherwise.
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
