// Whether an element is on screen (or near it), for views that can skip drawing what nobody
// sees — a chart below the fold, a heatmap scrolled out of its panel — and catch up when it
// comes into view.

/** What `watchVisibility` needs of IntersectionObserver (a fake one in tests). */
export interface VisibilityObserver {
  observe(target: Element): void;
  disconnect(): void;
}

export type VisibilityObserverFactory = (
  callback: (entries: readonly { isIntersecting: boolean }[]) => void,
  options: { rootMargin: string; root?: Element | null },
) => VisibilityObserver;

const browserObserver: VisibilityObserverFactory = (callback, options) =>
  new IntersectionObserver(callback, options);

/**
 * Call `onChange(visible)` whenever `element` comes within `margin` of the viewport (or of
 * `root`, a scrolling box it is in: a margin only widens the box observed) or leaves it (the
 * observer reports once right away). Returns the function that stops watching.
 */
export function watchVisibility(
  element: Element,
  onChange: (visible: boolean) => void,
  margin = "200px",
  observer: VisibilityObserverFactory = browserObserver,
  root: Element | null = null,
): () => void {
  let last: boolean | null = null;
  const watcher = observer(
    (entries) => {
      // Several entries can queue up between callbacks: the latest is the state now.
      const entry = entries[entries.length - 1];
      if (!entry || entry.isIntersecting === last) return;
      last = entry.isIntersecting;
      onChange(last);
    },
    root ? { rootMargin: margin, root } : { rootMargin: margin },
  );
  watcher.observe(element);
  return () => watcher.disconnect();
}
