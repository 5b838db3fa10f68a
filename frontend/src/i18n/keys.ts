// The type of every message key (English is the reference dictionary).
export type { MessageKey } from "./en";
