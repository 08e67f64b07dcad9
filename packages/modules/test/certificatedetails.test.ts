/**
 * certificatedetails against a declared certificatedetails.com: its certificate links (names and CERTIFICATEs), its
 * 404 page, odd links.
 */
import { describe, expect, it } from "@effect/vitest"
import { certificatedetails } from "@mirage/modules/modules/certificatedetails"
import { Effect, Either } from "effect"
import { failure, target, values } from "./keyedSource.js"
import { collectAgainst } from "./support.js"

const request = { path: "/example.test", headers: { accept: "text/html, */*", authorization: null } }
const sha = (n: number) => n.toString(16).padStart(64, "0")

/** A link to a certificate: the path names one host, the title and text may name another. */
const link = (n: number, pathName: string, shown: string) =>
  `<a href="/${sha(n)}/${pathName}" title="Show the certificate for ${shown}">${shown}</a><br>`

const page = (links: ReadonlyArray<string>, status = 200) => ({
  status,
  headers: { "content-type": "text/html; charset=utf-8" },
  body: `<html><head><title>Certificates for example.test</title></head><body>
<nav><a href="/">Home</a> <a href="/about">About</a> <a href="https://www.digitorus.com/">Digitorus</a></nav>
<div class="certificates">${links.join("\n")}</div></body></html>`
})

describe("certificatedetails", () => {
  it.scoped("reads each certificate link: the path's name and the shown one, its fingerprint as evidence", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(certificatedetails, [{
        request,
        response: page([
          link(1, "asdf.example.test", "www.example.test"),
          link(2, "zzzz.example.test", "chat.example.test"),
          link(3, ".example.test", "*.example.test"),
          link(4, "shop.example.test.evil.test", "shop.example.test.evil.test")
        ])
      }], { target })
      yield* run.server.verify
      const findings = Either.getOrThrow(run.outcome)
      expect(findings.filter((f) => f.type === "DOMAIN").map((f) => f.value)).toEqual([
        "asdf.example.test",
        "chat.example.test",
        "example.test",
        "www.example.test",
        "zzzz.example.test"
      ])
      // Each in-scope certificate is a CERTIFICATE with the names its links give; the look-alike's is none.
      const certificates = findings.filter((f) => f.type === "CERTIFICATE")
      expect(certificates.map((f) => [f.value, f.metadata["names"]])).toEqual([
        [sha(1), ["asdf.example.test", "www.example.test"]],
        [sha(2), ["chat.example.test", "zzzz.example.test"]],
        [sha(3), ["*.example.test", "example.test"]]
      ])
      expect(certificates[0]?.source_data).toEqual({})
      expect(findings.find((f) => f.value === "asdf.example.test")?.source_data).toEqual({
        evidence: [{ sha256: sha(1) }]
      })
      // The page's own links are not certificates, so not rows either.
      expect(run.notes.rows_skipped ?? 0).toBe(0)
    }))

  it.scoped("its 404 page still lists certificates; a link naming no host is skipped and counted", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(certificatedetails, [{
        request,
        response: page([link(5, "mail.example.test", "mail.example.test"), link(6, "%3F%3F", "??")], 404)
      }], { target })
      yield* run.server.verify
      expect(values(run.outcome)).toEqual(["mail.example.test", sha(5)])
      expect(run.notes).toMatchObject({ rows_skipped: 1, skip_reason: "a certificate link that names no host" })
    }))

  it.scoped("a bot challenge instead of the page is BadResponse, saying so; a page without links is none", () =>
    Effect.gen(function*() {
      const challenged = yield* collectAgainst(certificatedetails, [{
        request,
        response: {
          status: 403,
          headers: { "content-type": "text/html", "cf-mitigated": "challenge" },
          body: "<html><head><title>Just a moment...</title></head><body></body></html>"
        }
      }], { target })
      expect(failure(challenged.outcome)).toMatchObject({ _tag: "BadResponse", status: 403 })
      expect(failure(challenged.outcome).message).toContain("bot challenge")
      const empty = yield* collectAgainst(certificatedetails, [{ request, response: page([]) }], { target })
      expect(values(empty.outcome)).toEqual([])
    }))
})
