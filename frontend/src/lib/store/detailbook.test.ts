// Which ask an answer or a refusal belongs to, with only the error's field to go by.
import { describe, expect, it } from "vitest";
import type { ErrorEvent } from "../wire/protocol";
import {
  answered,
  asked,
  dropped,
  EMPTY_BOOK,
  forgetRefusals,
  refused,
  statusOf,
} from "./detailbook";

const error = (field: string | null): ErrorEvent => ({
  type: "error",
  code: "not_found",
  message: `${field}: no such thing`,
  field,
});

describe("the book of detail asked for", () => {
  it("waits for each ask until its own answer, oldest first for the same target", () => {
    let book = asked(asked(EMPTY_BOOK, "sent", "A"), "sent", "A");
    book = asked(book, "update", "w");
    book = answered(book, "sent", "A");
    expect(statusOf(book, "sent", "A").state).toBe("asking");
    book = answered(book, "sent", "A");
    expect(statusOf(book, "sent", "A").state).toBe("idle");
    expect(statusOf(book, "update", "w").state).toBe("asking");
    expect(answered(book, "tensor", "w")).toBe(book); // nothing asked: the same book
  });

  it("gives a refusal to the oldest ask its field can name", () => {
    let book = asked(EMPTY_BOOK, "update", "w");
    book = asked(book, "sent", "A");
    book = asked(book, "tensor", "b");
    const byNode = refused(book, error("node"));
    expect(byNode.ask).toEqual({ kind: "sent", target: "A" });
    expect(statusOf(byNode.book, "sent", "A")).toEqual({
      state: "refused",
      refusal: { code: "not_found", message: "node: no such thing", field: "node" },
    });
    expect(refused(book, error("key")).ask).toEqual({ kind: "tensor", target: "b" });
    expect(refused(book, error("name")).ask).toEqual({ kind: "update", target: "w" });
    expect(refused(book, error("type")).ask).toEqual({ kind: "update", target: "w" });
  });

  it("leaves the book alone for an error about another command", () => {
    const book = asked(EMPTY_BOOK, "sent", "A");
    for (const field of ["lr", "token", "config.lr", null]) {
      expect(refused(book, error(field))).toEqual({ book, ask: null });
    }
    expect(refused(EMPTY_BOOK, error("node")).ask).toBeNull();
  });

  it("asks again over a refusal, and forgets refusals and waits when told", () => {
    let book = refused(asked(EMPTY_BOOK, "sent", "A"), error("node")).book;
    expect(statusOf(book, "sent", "A").state).toBe("refused");
    book = asked(book, "sent", "A");
    expect(statusOf(book, "sent", "A").state).toBe("asking");
    book = refused(book, error("node")).book;
    expect(book.refused).toHaveLength(1);
    book = asked(book, "update", "w");
    expect(statusOf(dropped(book), "update", "w").state).toBe("idle");
    expect(statusOf(dropped(book), "sent", "A").state).toBe("refused");
    expect(statusOf(forgetRefusals(book), "sent", "A").state).toBe("idle");
    expect(dropped(EMPTY_BOOK)).toBe(EMPTY_BOOK);
    expect(forgetRefusals(EMPTY_BOOK)).toBe(EMPTY_BOOK);
  });
});
