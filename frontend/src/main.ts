// Entry point: one store, one socket feeding it, and the app.
import { mount } from "svelte";
import App from "./App.svelte";
import "./app.css";
import { fetchScenarios } from "./lib/store/scenarios";
import { LoopSocket, socketUrl } from "./lib/wire/socket";
import { LoopStore } from "./lib/store/state.svelte";
import type { SavedSpeed } from "./lib/store/state.svelte";
import { parseHash } from "./lib/store/urlstate";
import { i18n, loadCjkFont } from "./i18n/index.svelte";

// The run's resume token lives in this tab's sessionStorage: a reload resumes the same run
// (the server parks it for a while after the socket closes).
const TOKEN_KEY = "loopscope.token";
const SPEED_KEY = "loopscope.speed";
const store = new LoopStore({
  // The speed chosen survives a reload too (same tab), like the run itself.
  speedStore: {
    load: () => {
      try {
        const saved: unknown = JSON.parse(sessionStorage.getItem(SPEED_KEY) ?? "null");
        return isSavedSpeed(saved) ? saved : null;
      } catch {
        return null;
      }
    },
    save: (speed) => sessionStorage.setItem(SPEED_KEY, JSON.stringify(speed)),
  },
  tokenStore: {
    load: () => sessionStorage.getItem(TOKEN_KEY),
    save: (token) =>
      token === null
        ? sessionStorage.removeItem(TOKEN_KEY)
        : sessionStorage.setItem(TOKEN_KEY, token),
  },
});
// A shared link (#scenario=linear&lr=0.02&lang=zh) chooses the first run and the language.
const linked = parseHash(window.location.hash);
if (linked?.lang) i18n.set(linked.lang);
if (linked?.scenario) store.scenario = linked.scenario;
if (linked) store.config = linked.config;
// A link's position and `set`s are replayed after its run starts (a reload resumes instead).
const linkedPlace =
  linked && (linked.position !== undefined || linked.sets?.length)
    ? { position: linked.position ?? 0, sets: linked.sets ?? [] }
    : null;
if (linked?.unknownScenario !== undefined) {
  store.toast(
    "unknown_scenario",
    `unknown scenario ${JSON.stringify(linked.unknownScenario)}`,
    "scenario",
  );
}
const traced =
  document.querySelector('meta[name="loopscope-source"]')?.getAttribute("content") === "trace";
store.tracePage = traced;
const socket = new LoopSocket(
  {
    onEvent: (event) => store.handle(event),
    onState: (state, retryInMs) => store.setConnection(state, retryInMs),
    // Each connection is its own session on the server: resume our run, or start one. A
    // traced script's page asks for nothing: the server sends the run on connect.
    onOpen: () => {
      if (!traced) store.connected(linkedPlace);
    },
    onMalformed: () => store.toast("malformed", ""),
    onFinalClose: (info) => store.closedForGood(info),
  },
  { url: socketUrl(window.location) },
);
store.connectSender((command) => socket.send(command));
store.connectReconnect(() => socket.connect());
socket.connect();
void fetchScenarios().then((list) => store.setScenarios(list));

function isSavedSpeed(value: unknown): value is SavedSpeed {
  if (typeof value !== "object" || value === null) return false;
  const { unit, rate, nBatches } = value as Record<string, unknown>;
  return (
    (unit === "phase" || unit === "iteration" || unit === "epoch") &&
    typeof rate === "number" &&
    typeof nBatches === "number"
  );
}

const target = document.getElementById("app");
if (!target) throw new Error("index.html lacks #app");
// Chinese text is drawn once the CJK webfont is there (see loadCjkFont).
const ready = i18n.lang === "zh" ? loadCjkFont() : Promise.resolve();
export const app = ready.then(() => mount(App, { target, props: { store } }));
