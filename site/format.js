// format.js: how the page and the widget show a class and its score, the
// JS twins of ui/format.go's formatPercent, shortLabel and isBackground
// (the Go UI's), so that every view of a prediction reads the same.

/** formatPercent formats a score in [0, 1]: one decimal, "<0.1%" below 0.1%. */
export function formatPercent(p) {
  if (Number.isNaN(p)) return '–';
  return p < 0.001 ? '<0.1%' : `${(100 * p).toFixed(1)}%`;
}

/**
 * shortLabel is a label's first name ("tabby, tabby cat" gives "tabby"),
 * or "class N" when the model has no labels.
 */
export function shortLabel(label, index) {
  const l = (label || '').trim();
  return l ? l.split(',')[0] : `class ${index}`;
}

/** isBackground reports whether a label is the release's class 0, which no photo is meant to show. */
export function isBackground(label) {
  return (label || '').trim().toLowerCase() === 'background';
}
