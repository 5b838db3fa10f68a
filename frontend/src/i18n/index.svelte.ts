// The current language, its dictionary, and `t()` for components.
import { en } from "./en";
import type { MessageKey } from "./en";
import { zh } from "./zh";

export type Lang = "en" | "zh";
export const LANGS: readonly Lang[] = ["en", "zh"];
export const STORAGE_KEY = "loopscope.lang";

export const dictionaries: Record<Lang, Record<MessageKey, string>> = { en, zh };

/** Fill `{name}` placeholders; unknown ones stay visible so a typo shows. */
export function format(template: string, params: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

/** The stored choice if any, else Chinese for a browser asking for zh*, else English. */
export function detectLang(stored: string | null, languages: readonly string[]): Lang {
  if (stored === "en" || stored === "zh") return stored;
  for (const l of languages) {
    const lower = l.toLowerCase();
    if (lower.startsWith("zh")) return "zh";
    if (lower.startsWith("en")) return "en";
  }
  return "en";
}

function readStored(): string | null {
  try {
    return typeof localStorage === "undefined" ? null : localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

function browserLanguages(): readonly string[] {
  if (typeof navigator === "undefined") return [];
  return navigator.languages?.length ? navigator.languages : [navigator.language ?? "en"];
}

/**
 * Load the UI's CJK webfont (app.css) before Chinese text is drawn: text drawn while it is
 * still loading can stay as empty boxes in Chromium where no system CJK font exists.
 * Resolves after at most `timeoutMs` whatever happens (the page then uses what it has).
 */
export function loadCjkFont(timeoutMs = 3000): Promise<void> {
  if (typeof document === "undefined" || !document.fonts) return Promise.resolve();
  const loaded = document.fonts.load('14px "Loopscope CJK"', "中").then(
    () => undefined,
    () => undefined,
  );
  const timeout = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs));
  return Promise.race([loaded, timeout]);
}

class I18n {
  lang = $state<Lang>(detectLang(readStored(), browserLanguages()));

  /** The message for `key` in the current language, placeholders filled. */
  t = (key: MessageKey, params?: Record<string, string | number>): string =>
    format(dictionaries[this.lang][key], params);

  set(lang: Lang): void {
    this.lang = lang;
    try {
      localStorage.setItem(STORAGE_KEY, lang);
    } catch {
      // Private mode or no storage: the choice lasts for this page only.
    }
    if (typeof document !== "undefined")
      document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  }

  toggle(): void {
    if (this.lang === "zh") this.set("en");
    else void loadCjkFont().then(() => this.set("zh"));
  }
}

export const i18n = new I18n();
