// hookwire dashboard: the only script. Pages work without it; it adds live
// updates and confirmations.

// Live regions: while the tab is visible, re-read the page every 2 s and swap in
// the new content of each element marked data-live (matched by id).
(function () {
  if (!document.querySelector("[data-live]")) return;
  async function refresh() {
    if (document.hidden) return;
    try {
      const res = await fetch(location.href, { credentials: "same-origin" });
      if (!res.ok || res.redirected) return;
      const doc = new DOMParser().parseFromString(await res.text(), "text/html");
      for (const el of document.querySelectorAll("[data-live]")) {
        const fresh = doc.getElementById(el.id);
        if (fresh && fresh.innerHTML !== el.innerHTML) el.innerHTML = fresh.innerHTML;
      }
    } catch (_) {
      // Offline or restarting: try again on the next tick.
    }
  }
  setInterval(refresh, 2000);
})();

// Forms with data-confirm ask before they submit.
document.addEventListener("submit", function (e) {
  const message = e.target.dataset.confirm;
  if (message && !window.confirm(message)) e.preventDefault();
});
