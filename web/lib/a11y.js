// Accessibility helpers shared by the screens (web/README.md, "Accessibility").

import { h } from './dom.js';

/**
 * A wrapper for content that may scroll sideways (a wide table, a long command), reachable by
 * keyboard as axe-core's scrollable-region-focusable asks: tabindex="0", role="region" and an
 * aria-label naming what it holds; style.css's `.scroll-region` scrolls it and shows the focus.
 */
export function scrollRegion(label, ...children) {
  return h('div', { class: 'scroll-region', tabindex: 0, role: 'region', 'aria-label': label }, ...children);
}
