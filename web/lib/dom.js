// A tiny DOM builder: h('div', {class: 'x', dataset: {testid: 'y'}, onclick}, child, ...).
// Text children are always set as text, never parsed as HTML.

const SVG_NS = 'http://www.w3.org/2000/svg';

function build(element, attrs, children) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'dataset') {
      for (const [key, v] of Object.entries(value)) {
        if (v !== undefined && v !== null) element.dataset[key] = String(v);
      }
    } else if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (name === 'text') {
      element.textContent = String(value);
    } else if (value === true) {
      element.setAttribute(name, '');
    } else {
      element.setAttribute(name, String(value));
    }
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export function h(tag, attrs = {}, ...children) {
  return build(document.createElement(tag), attrs, children);
}

export function svg(tag, attrs = {}, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

export function clear(element) {
  while (element.firstChild) element.firstChild.remove();
  return element;
}

export function byTestId(id, root = document) {
  return root.querySelector(`[data-testid="${id}"]`);
}

/** element.append without the empty children (null, undefined, false) that h() also skips. */
export function append(element, ...children) {
  element.append(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  return element;
}

// The attributes that name an element among its siblings across re-renders.
const FOCUS_KEYS = ['testid', 'sampleId', 'datasetId', 'filename', 'key', 'drug'];

const signature = (element) => [element.tagName, element.id, ...FOCUS_KEYS.map((k) => element.dataset?.[k] ?? '')].join('\u0001');

/** The element's signature and its place among the siblings that share it. */
function focusStep(element) {
  const own = signature(element);
  return { own, index: [...element.parentElement.children].filter((e) => signature(e) === own).indexOf(element) };
}

/**
 * Runs `render`, which rebuilds `container`, and puts keyboard focus back on the control that
 * had it, when the new content has the same one (same tag, id, test id and row keys, in the
 * same place among its like). A screen that re-renders while it polls otherwise drops a keyboard
 * user's place to the top of the page.
 */
export function keepingFocus(container, render) {
  const focused = document.activeElement;
  const path = [];
  if (focused && focused !== container && container.contains(focused)) {
    for (let e = focused; e !== container; e = e.parentElement) path.unshift(focusStep(e));
  }
  render();
  if (!path.length || container.contains(document.activeElement)) return;
  let at = container;
  for (const step of path) {
    at = [...at.children].filter((e) => signature(e) === step.own)[step.index];
    if (!at) return;
  }
  at.focus({ preventScroll: true });
}
