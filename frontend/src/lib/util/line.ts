// A sentence to show, as its message key and the values it is filled with (the i18n layer
// turns it into text in the page's language).
import type { MessageKey } from "../../i18n/en";

export interface Line {
  key: MessageKey;
  params: Record<string, string>;
}
