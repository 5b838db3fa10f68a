// Entry point: one store, one socket feeding it, and the app.
import { mount } from "svelte";
import App from "./App.svelte";
import "./app.css";
import { fetchScenarios } from "./lib/scenarios";
import { LoopSocket, socketUrl } from "./lib/socket";
import { LoopStore } from "./lib/state.svelte";

const store = new LoopStore();
const socket = new LoopSocket(
  {
    onEvent: (event) => store.handle(event),
    onState: (state, retryInMs) => store.setConnection(state, retryInMs),
    // Each connection is its own session on the server: resume our run, or start one.
    onOpen: () => store.connected(),
    onMalformed: () => store.toast("malformed", ""),
  },
  { url: socketUrl(window.location) },
);
store.connectSender((command) => socket.send(command));
socket.connect();
void fetchScenarios().then((list) => store.setScenarios(list));

const target = document.getElementById("app");
if (!target) throw new Error("index.html lacks #app");
export default mount(App, { target, props: { store } });
