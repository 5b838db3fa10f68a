// The header's popovers (run settings, lessons, share / export) behave alike: one open at a
// time, Escape closes it and gives focus back to its button, a press or focus outside closes it.
import type { Attachment } from "svelte/attachments";

/** Which popover is open; opening one closes the one before. */
export class PopoverState {
  openId = $state<string | null>(null);

  isOpen(id: string): boolean {
    return this.openId === id;
  }

  open(id: string): void {
    this.openId = id;
  }

  toggle(id: string): void {
    this.openId = this.openId === id ? null : id;
  }

  /** Close `id` if it is the open one (no id: whichever is open). */
  close(id?: string): void {
    if (id === undefined || this.openId === id) this.openId = null;
  }
}

/** The page's one set of header popovers. */
export const popovers = new PopoverState();

/** The element inside a popover's root that opens it (focus goes back there on Escape). */
export const POPOVER_BUTTON = "[data-popover-button]";

/**
 * Attach to the element that holds a popover's button and its panel. Listens on the
 * document in the capture phase, so Escape is seen even in a text field, and marks the
 * key press handled (preventDefault) for the page's own Escape handling to skip it.
 */
export function popoverRoot(id: string, state: PopoverState = popovers): Attachment<HTMLElement> {
  return (root) => {
    const outside = (target: EventTarget | null) =>
      target instanceof Node && !root.contains(target);

    function onkeydown(event: KeyboardEvent) {
      if (event.key !== "Escape" || !state.isOpen(id)) return;
      event.preventDefault();
      state.close(id);
      root.querySelector<HTMLElement>(POPOVER_BUTTON)?.focus();
    }
    function onpointerdown(event: PointerEvent) {
      if (state.isOpen(id) && outside(event.target)) state.close(id);
    }
    function onfocusin(event: FocusEvent) {
      // Tab out of the panel, or focus sent elsewhere by a shortcut.
      if (state.isOpen(id) && outside(event.target)) state.close(id);
    }

    document.addEventListener("keydown", onkeydown, true);
    document.addEventListener("pointerdown", onpointerdown, true);
    document.addEventListener("focusin", onfocusin);
    return () => {
      document.removeEventListener("keydown", onkeydown, true);
      document.removeEventListener("pointerdown", onpointerdown, true);
      document.removeEventListener("focusin", onfocusin);
    };
  };
}
