/** skymem against a declared Skymem: the search page, the listing pages it links to, odd links. */
import { describe, expect, it } from "@effect/vitest"
import { skymem } from "@mirage/modules/modules/skymem"
import { Effect, Either } from "effect"
import { collectAgainst } from "./support.js"

const target = { type: "DOMAIN" as const, value: "example.test" }
const page = (emails: ReadonlyArray<string>, pages: ReadonlyArray<number>) =>
  `<html><body><table>${
    emails.map((email) => `<tr><td><a href="/srch?q=${email}">${email}</a></td></tr>`).join("")
  }</table><div class="pages">${pages.map((p) => `<a href="/domain/5f2e9a?p=${p}">${p}</a>`).join(" ")}</div>` +
  `<a href="/about">About</a></body></html>`
const html = (body: string) => ({ headers: { "content-type": "text/html" }, body })

describe("skymem", () => {
  it.scoped("reads the search page, then the listing's pages up to the last one linked", () =>
    Effect.gen(function*() {
      const { outcome, server } = yield* collectAgainst(skymem, [
        {
          request: { path: "/srch", query: { q: "example.test" }, headers: { accept: "text/html, */*" } },
          response: html(page(["alice@example.test", "bob@other.test"], [1, 2]))
        },
        {
          request: { path: "/domain/5f2e9a", query: { p: "1" } },
          response: html(page(["alice@example.test", "carol@mail.example.test"], [1, 2]))
        },
        { request: { path: "/domain/5f2e9a", query: { p: "2" } }, response: html(page(["dave@example.test"], [1, 2])) }
      ], { target })
      yield* server.verify
      expect(Either.getOrThrow(outcome).map((f) => f.value)).toEqual([
        "alice@example.test",
        "carol@mail.example.test",
        "dave@example.test"
      ])
    }))

  it.scoped("a link whose text is not an address is skipped and counted; no listing link is one page", () =>
    Effect.gen(function*() {
      const { notes, outcome, server } = yield* collectAgainst(skymem, [{
        request: { path: "/srch", query: { q: "example.test" } },
        response: html(
          `<a href="/srch?q=erin@example.test">erin@example.test</a><a href="/srch?q=x@example.test">more…</a>`
        )
      }], { target })
      yield* server.verify
      expect(Either.getOrThrow(outcome).map((f) => f.value)).toEqual(["erin@example.test"])
      expect(notes.rows_skipped).toBe(1)
    }))

  it.scoped("max_pages caps the listing, with a warning", () =>
    Effect.gen(function*() {
      const { notes, outcome } = yield* collectAgainst(skymem, [
        { request: { path: "/srch", query: { q: "example.test" } }, response: html(page(["a@example.test"], [1, 9])) },
        { request: { path: "/domain/5f2e9a", query: { p: "1" } }, response: html(page(["b@example.test"], [1, 9])) }
      ], { target, config: { max_pages: 2 } })
      expect(Either.getOrThrow(outcome).map((f) => f.value)).toEqual(["a@example.test", "b@example.test"])
      expect(notes.warnings.join(" ")).toContain("max_pages")
    }))
})
