// The local web chat: ask a question or check a draft against the JSON API of the same server.
// No framework, no build step, no inline script (the CSP forbids it); text is always inserted as
// text nodes, never as HTML, so nothing a member pastes can run.
"use strict";

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value; else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    credentials: "same-origin",
    body: JSON.stringify(body),
  });
  let data = {};
  try { data = await response.json(); } catch (e) { data = { error: "The server sent an unreadable reply." }; }
  if (!response.ok) throw new Error(data.error || `The server answered ${response.status}.`);
  return data;
}

function showError(target, error) {
  target.replaceChildren(el("p", { class: "error", role: "alert" }, error.message));
}

const CATEGORY_LABELS = {
  defamation: "Defamation", copyright: "Copyright", data_protection: "Data protection",
  bias_predetermination: "Bias and pre-determination", obscene: "Obscene material",
  bullying_discrimination: "Bullying and discrimination", password_sharing: "Password sharing",
  inflammatory: "Inflammatory or protracted debate",
};

function renderAnswer(data) {
  const target = document.getElementById("answer");
  document.getElementById("version").textContent = `Guidance version ${data.guidance_version}.`;
  if (data.answered) {
    const best = data.results[0];
    const card = el("article", { class: "card answer", "aria-label": "Answer" },
      el("h2", {}, best.title),
      el("blockquote", {}, best.passage),
      el("p", { class: "meta" }, `Guidance version ${data.guidance_version} · section ${best.section_id}`));
    const related = data.results.slice(1).filter((r) => r.passage !== best.passage);
    const nodes = [card];
    if (related.length) {
      nodes.push(el("p", { class: "meta" }, "Related: " + related.map((r) => r.title).join("; ")));
    }
    target.replaceChildren(...nodes);
    return;
  }
  const list = el("ul", {}, ...data.results.map((r) => el("li", {}, r.title)));
  target.replaceChildren(el("article", { class: "card unsure", "aria-label": "Not covered" },
    el("h2", {}, "Not covered by the guidance"),
    el("p", {}, data.message),
    data.results.length ? el("p", {}, el("strong", {}, "Did you mean:")) : null,
    data.results.length ? list : null));
}

function highlighted(text, flags) {
  // Non-overlapping spans, in order; each mark names its risk for screen readers. Offsets from the
  // server count code points, so slice by code point (an emoji is two UTF-16 units in JavaScript).
  const chars = Array.from(text);
  const slice = (a, b) => chars.slice(a, b).join("");
  const spans = [...flags].sort((a, b) => a.start - b.start);
  const parts = [];
  let at = 0;
  spans.forEach((flag, i) => {
    if (flag.start < at) return;
    parts.push(slice(at, flag.start));
    parts.push(el("mark", { class: flag.severity, title: CATEGORY_LABELS[flag.category] || flag.category,
      "aria-label": `${CATEGORY_LABELS[flag.category] || flag.category}: ${flag.evidence}`, "data-flag": String(i + 1) },
      slice(flag.start, flag.end)));
    at = flag.end;
  });
  parts.push(slice(at));
  return el("div", { class: "draft", "aria-label": "Your draft with risky words highlighted" }, ...parts);
}

function renderCheck(text, data) {
  const target = document.getElementById("check");
  document.getElementById("version").textContent = `Guidance version ${data.guidance_version}.`;
  if (!data.flags.length) {
    target.replaceChildren(highlighted(text, []),
      el("p", { class: "clean" }, "No risks found against the guidance. Use your judgement before posting."));
    return;
  }
  const items = data.flags.map((flag) => el("li", { class: flag.severity },
    el("span", { class: `sev ${flag.severity}` }, `${flag.severity} risk`), " ",
    el("strong", {}, CATEGORY_LABELS[flag.category] || flag.category), ": “", flag.evidence, "”",
    el("p", {}, flag.advice),
    flag.suggestion ? el("p", {}, el("em", {}, "Try instead: "), flag.suggestion) : null,
    el("blockquote", {}, flag.passage),
    el("p", { class: "meta" }, `Guidance section ${flag.section_id}`)));
  target.replaceChildren(highlighted(text, data.flags),
    el("h2", {}, `${data.flags.length} possible risk${data.flags.length === 1 ? "" : "s"}`),
    el("ul", { class: "flags" }, ...items));
}

function selectTab(which) {
  for (const name of ["ask", "check"]) {
    const tab = document.getElementById(`tab-${name}`);
    const panel = document.getElementById(`panel-${name}`);
    const on = name === which;
    tab.setAttribute("aria-selected", String(on));
    tab.tabIndex = on ? 0 : -1;
    panel.hidden = !on;
  }
  document.getElementById(which === "ask" ? "question" : "draft").focus();
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("tab-ask").addEventListener("click", () => selectTab("ask"));
  document.getElementById("tab-check").addEventListener("click", () => selectTab("check"));
  document.querySelector(".tabs").addEventListener("keydown", (event) => {
    if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
      selectTab(document.getElementById("tab-ask").getAttribute("aria-selected") === "true" ? "check" : "ask");
      document.querySelector('.tabs [aria-selected="true"]').focus();
    }
  });
  document.getElementById("ask-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const q = document.getElementById("question").value;
    const target = document.getElementById("answer");
    target.replaceChildren(el("p", { class: "meta" }, "Looking that up…"));
    try { renderAnswer(await post("/api/ask", { q })); } catch (error) { showError(target, error); }
  });
  const checkForm = document.getElementById("check-form");
  checkForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = document.getElementById("draft").value;
    const target = document.getElementById("check");
    target.replaceChildren(el("p", { class: "meta" }, "Checking…"));
    try { renderCheck(text, await post("/api/check", { text })); } catch (error) { showError(target, error); }
  });
  document.getElementById("draft").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) checkForm.requestSubmit();
  });
});
