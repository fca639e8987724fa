// Gazette's search page. All state lives in the URL (shareable, back button works); all
// text from the index is inserted with textContent, never as HTML.
"use strict";

const PAGE_SIZE = 10;
const $ = (id) => document.getElementById(id);
const encoder = new TextEncoder();
const decoder = new TextDecoder();
let sequence = 0;

function readState() {
  const p = new URLSearchParams(location.search);
  const page = parseInt(p.get("page") || "1", 10);
  return {
    q: p.get("q") || "",
    langs: p.getAll("lang"),
    sources: p.getAll("source"),
    since: p.get("since") || "",
    until: p.get("until") || "",
    page: Number.isFinite(page) && page > 0 ? page : 1,
  };
}

function pageUrl(s) {
  const p = new URLSearchParams();
  if (s.q) p.set("q", s.q);
  s.langs.forEach((l) => p.append("lang", l));
  s.sources.forEach((x) => p.append("source", x));
  if (s.since) p.set("since", s.since);
  if (s.until) p.set("until", s.until);
  if (s.page > 1) p.set("page", String(s.page));
  const qs = p.toString();
  return qs ? "/?" + qs : "/";
}

function go(s) {
  history.pushState(null, "", pageUrl(s));
  render(s);
}

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v !== null && v !== undefined) e.setAttribute(k, v);
  }
  if (text !== undefined && text !== null) e.textContent = text;
  return e;
}

// The passage text with <mark> around each highlight. Highlights are BYTE offsets into the
// UTF-8 text, so the text is cut as bytes and each piece decoded on its own.
function markedText(text, highlights) {
  const bytes = encoder.encode(text);
  const frag = document.createDocumentFragment();
  let at = 0;
  for (const h of highlights || []) {
    if (h.start < at || h.end > bytes.length || h.start >= h.end) continue;
    frag.append(decoder.decode(bytes.subarray(at, h.start)));
    frag.append(el("mark", {}, decoder.decode(bytes.subarray(h.start, h.end))));
    at = h.end;
  }
  frag.append(decoder.decode(bytes.subarray(at)));
  return frag;
}

function safeHref(url) {
  return typeof url === "string" && /^https?:\/\//i.test(url) ? url : null;
}

function langName(code) {
  try {
    return new Intl.DisplayNames([navigator.language || "en"], { type: "language" }).of(code);
  } catch (_) {
    return code;
  }
}

function renderHit(hit) {
  const li = el("li", { class: "hit" });
  const h2 = el("h2", { dir: "auto" });
  const href = safeHref(hit.url);
  const title = hit.title || "(untitled)";
  h2.append(href ? el("a", { href, rel: "noopener noreferrer" }, title) : title);
  li.append(h2);
  const meta = el("p", { class: "meta" });
  if (hit.source) meta.append(el("span", { class: "source" }, hit.source));
  if (hit.date) meta.append(el("time", { datetime: hit.date }, hit.date.slice(0, 10)));
  if (hit.lang) {
    meta.append(el("span", { class: "badge", title: langName(hit.lang), lang: "en" },
      hit.lang.toUpperCase()));
  }
  li.append(meta);
  if (href || hit.path) li.append(el("p", { class: "link", dir: "ltr" }, href || hit.path));
  for (const p of hit.passages || []) {
    const q = el("p", {
      class: "passage",
      dir: hit.lang === "ar" ? "rtl" : "auto",
      lang: hit.lang || null,
    });
    q.append(markedText(p.text, p.highlights));
    li.append(q);
  }
  return li;
}

function toggle(list, value) {
  return list.includes(value) ? list.filter((v) => v !== value) : list.concat([value]);
}

function facetButton(label, count, pressed, onClick, title) {
  const b = el("button", { type: "button", class: "facet", "aria-pressed": String(pressed), title });
  b.append(el("span", { class: "value", dir: "auto" }, label));
  b.append(el("span", { class: "count" }, String(count)));
  b.addEventListener("click", onClick);
  const li = el("li");
  li.append(b);
  return li;
}

function lastDayOfMonth(month) {
  const [y, m] = month.split("-").map(Number);
  return new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
}

function renderFacets(s, facets) {
  const langs = $("facet-lang");
  const sources = $("facet-source");
  const months = $("facet-month");
  langs.replaceChildren();
  sources.replaceChildren();
  months.replaceChildren();
  const f = facets || { lang: [], source: [], month: [] };
  for (const { value, count } of f.lang) {
    langs.append(facetButton(value.toUpperCase(), count, s.langs.includes(value),
      () => go({ ...s, langs: toggle(s.langs, value), page: 1 }), langName(value)));
  }
  for (const { value, count } of f.source) {
    const pressed = s.sources.some((x) => x.toLowerCase() === value.toLowerCase());
    sources.append(facetButton(value, count, pressed,
      () => go({ ...s, sources: pressed ? s.sources.filter((x) => x.toLowerCase() !== value.toLowerCase()) : s.sources.concat([value]), page: 1 })));
  }
  for (const { value, count } of f.month.slice().reverse()) {
    const since = value + "-01";
    const until = lastDayOfMonth(value);
    const pressed = s.since === since && s.until === until;
    months.append(facetButton(value, count, pressed, () => go(pressed
      ? { ...s, since: "", until: "", page: 1 }
      : { ...s, since, until, page: 1 })));
  }
  $("lang-filter").hidden = f.lang.length === 0 && s.langs.length === 0;
  $("source-filter").hidden = f.source.length === 0 && s.sources.length === 0;
  $("since").value = s.since;
  $("until").value = s.until;
  $("filters").hidden = false;
}

function renderActiveFilters(s) {
  const box = $("active-filters");
  box.replaceChildren();
  const chip = (label, next) => {
    const b = el("button", { type: "button", class: "chip", "aria-label": "Remove filter " + label }, label + " ✕");
    b.addEventListener("click", () => go({ ...next, page: 1 }));
    box.append(b);
  };
  s.langs.forEach((l) => chip("language: " + l, { ...s, langs: s.langs.filter((x) => x !== l) }));
  s.sources.forEach((x) => chip("source: " + x, { ...s, sources: s.sources.filter((y) => y !== x) }));
  if (s.since) chip("from " + s.since, { ...s, since: "" });
  if (s.until) chip("to " + s.until, { ...s, until: "" });
}

function renderPager(s, total) {
  const nav = $("pager");
  nav.replaceChildren();
  const pages = Math.ceil(total / PAGE_SIZE);
  if (pages <= 1) return;
  const link = (page, label, rel) => {
    const a = el("a", { href: pageUrl({ ...s, page }), rel: rel || null }, label);
    if (page === s.page) a.setAttribute("aria-current", "page");
    a.addEventListener("click", (e) => {
      e.preventDefault();
      go({ ...s, page });
      $("results").focus();
    });
    nav.append(a);
  };
  if (s.page > 1) link(s.page - 1, "← Previous", "prev");
  const first = Math.max(1, Math.min(s.page - 2, pages - 4));
  for (let p = first; p <= Math.min(pages, first + 4); p++) link(p, String(p));
  if (s.page < pages) link(s.page + 1, "Next →", "next");
}

function setStatus(text, isError) {
  const status = $("status");
  status.textContent = text;
  status.classList.toggle("error", Boolean(isError));
}

async function render(s) {
  $("q").value = s.q;
  document.title = s.q ? s.q + " — Gazette" : "Gazette — policy news search";
  const results = $("results");
  renderActiveFilters(s);
  if (!s.q.trim()) {
    results.replaceChildren();
    $("pager").replaceChildren();
    $("filters").hidden = true;
    setStatus("Type a query to search the news.");
    return;
  }
  const p = new URLSearchParams({ q: s.q, limit: String(PAGE_SIZE), offset: String((s.page - 1) * PAGE_SIZE), passages: "2" });
  s.langs.forEach((l) => p.append("lang", l));
  s.sources.forEach((x) => p.append("source", x));
  if (s.since) p.set("since", s.since);
  if (s.until) p.set("until", s.until);
  const mine = ++sequence;
  setStatus("Searching…");
  document.body.setAttribute("aria-busy", "true");
  let resp;
  let body;
  try {
    const headers = {};
    const key = sessionStorage.getItem("gazette-key");
    if (key) headers.Authorization = "Bearer " + key;
    resp = await fetch("/search?" + p, { headers });
    body = await resp.json();
  } catch (e) {
    if (mine === sequence) setStatus("The search failed: " + e.message, true);
    return;
  } finally {
    if (mine === sequence) document.body.removeAttribute("aria-busy");
  }
  if (mine !== sequence) return; // a newer search is on its way
  $("key-box").hidden = resp.status !== 401;
  if (!resp.ok) {
    results.replaceChildren();
    $("pager").replaceChildren();
    setStatus((body && body.error && body.error.message) || "The search failed (" + resp.status + ").", true);
    return;
  }
  renderFacets(s, body.facets);
  if (body.total_hits === 0) {
    const empty = el("li", { class: "empty" });
    empty.append(el("strong", {}, "No results."));
    const filtered = s.langs.length || s.sources.length || s.since || s.until;
    empty.append(" " + (filtered
      ? "No articles match this query with these filters; try removing a filter."
      : "No articles match this query; try other words or fewer of them."));
    results.replaceChildren(empty);
    $("pager").replaceChildren();
    setStatus("No articles match “" + s.q + "”.");
    return;
  }
  const from = (s.page - 1) * PAGE_SIZE + 1;
  const to = from + body.hits.length - 1;
  setStatus(body.total_hits + " article" + (body.total_hits === 1 ? "" : "s") + " match “" + s.q + "” — showing " + from + "–" + to + " (" + body.took_ms + " ms)");
  results.replaceChildren(...body.hits.map(renderHit));
  results.setAttribute("start", String(from));
  renderPager(s, body.total_hits);
}

function init() {
  // Filters open beside the results on a wide screen, folded above them on a phone.
  $("filter-box").open = window.matchMedia("(min-width: 701px)").matches;
  $("search-form").addEventListener("submit", (e) => {
    e.preventDefault();
    go({ ...readState(), q: $("q").value.trim(), page: 1 });
  });
  for (const id of ["since", "until"]) {
    $(id).addEventListener("change", () => {
      go({ ...readState(), [id]: $(id).value, page: 1 });
    });
  }
  $("key-form").addEventListener("submit", (e) => {
    e.preventDefault();
    sessionStorage.setItem("gazette-key", $("key").value);
    $("key").value = "";
    render(readState());
  });
  document.addEventListener("keydown", (e) => {
    const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement;
    if (e.key === "/" && !typing) {
      e.preventDefault();
      $("q").focus();
      $("q").select();
    }
  });
  window.addEventListener("popstate", () => render(readState()));
  const s = readState();
  render(s);
  if (!s.q) $("q").focus();
}

init();
