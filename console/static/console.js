// The console's only script: copy buttons and a short poll that refreshes
// the page's main section (?fragment=1) while the tab is visible.
"use strict";

function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    return navigator.clipboard.writeText(text);
  }
  const ta = document.createElement("textarea");
  ta.value = text;
  ta.style.position = "fixed";
  ta.style.opacity = "0";
  document.body.appendChild(ta);
  ta.select();
  try { document.execCommand("copy"); } finally { ta.remove(); }
  return Promise.resolve();
}

document.addEventListener("click", (e) => {
  const b = e.target.closest("button.copy");
  if (!b) return;
  e.preventDefault();
  copyText(b.dataset.copy).then(() => {
    b.classList.add("done");
    const icon = b.innerHTML; b.textContent = "✓";
    setTimeout(() => { b.classList.remove("done"); b.innerHTML = icon; }, 1200);
  });
});

(function poll() {
  const every = Number(document.body.dataset.poll || 0);
  if (!every) return;
  const status = document.getElementById("live-status");
  const main = document.getElementById("main");
  let failures = 0;
  async function tick() {
    const busy = document.hidden ||
      (document.activeElement && document.activeElement.tagName === "INPUT") ||
      String(window.getSelection()).length > 0;
    if (!busy) {
      const url = new URL(location.href);
      url.searchParams.set("fragment", "1");
      try {
        const r = await fetch(url, { headers: { Accept: "text/html" }, cache: "no-store" });
        if (!r.ok) throw new Error("HTTP " + r.status);
        main.innerHTML = await r.text();
        failures = 0;
        status.textContent = "live · " + new Date().toLocaleTimeString();
      } catch (err) {
        failures++;
        status.textContent = "node not answering (" + err.message + ")";
      }
    }
    setTimeout(tick, Math.min(every * (1 + failures), 30000));
  }
  setTimeout(tick, every);
})();
