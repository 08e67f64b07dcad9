/** The scraper kind: rows are the elements a CSS selector picks from parsed HTML; odd ones are skipped. */
import { describe, expect, it } from "@effect/vitest"
import * as Html from "@mirage/modules/Html"
import { NoConfig } from "@mirage/modules/kinds/PagedApi"
import { scraper, type ScraperSpec } from "@mirage/modules/kinds/Scraper"
import { subdomainFindings } from "@mirage/modules/kinds/SubdomainSource"
import { Effect, Either } from "effect"
import { collectAgainst } from "../support.js"

interface Listed {
  readonly host: string
  readonly seen: string | undefined
}

const listingSpec = {
  name: "example_listing",
  description: "Hosts listed in an HTML table",
  flags: ["passive", "safe"],
  source: {
    id: "example_listing",
    name: "Listing",
    rateLimit: { requests: 1, perSeconds: 1 },
    requiresKey: false,
    proxy: true
  },
  config: NoConfig,
  input_types: ["DOMAIN"],
  output_types: ["DOMAIN"],
  request: (target) => ({ path: `/s/${target.value}` }),
  empty: [404],
  select: "table#hosts tr td:first-child",
  read: (cell) => {
    const host = Html.text(cell)
    return host === "" ? undefined : { host, seen: cell.next === null ? undefined : Html.attribute(cell, "data-seen") }
  },
  skipReason: "empty cell",
  findings: (rows, target) =>
    subdomainFindings(rows, target.value, (row) => [row.host], () => undefined, { confidence: 0.6 })
} satisfies ScraperSpec<typeof NoConfig.Type, typeof NoConfig.Encoded, Listed>
const listing = scraper(listingSpec)

const page = `<!doctype html><html><body>
<table id="other"><tr><td>ignored.example.test</td></tr></table>
<table id="hosts">
  <tr><td>WWW.example.test</td><td>2024</td></tr>
  <tr><td> </td><td>2023</td></tr>
  <tr><td>a&#46;example.test</td><td>2022</td></tr>
  <tr><td>evil.test</td><td>2022</td></tr>
<!-- <tr><td>commented.example.test</td></tr> -->
</table></body></html>`

describe("scraper", () => {
  it.scoped("reads the selected elements through the parser: entities decoded, comments ignored, empty ones skipped", () =>
    Effect.gen(function*() {
      const { notes, outcome, server } = yield* collectAgainst(listing, [
        { request: { path: "/s/example.test" }, response: { headers: { "content-type": "text/html" }, body: page } }
      ], { target: { type: "DOMAIN", value: "example.test" } })
      yield* server.verify
      expect(Either.getOrThrow(outcome).map((f) => f.value)).toEqual(["a.example.test", "www.example.test"])
      expect(notes).toMatchObject({ rows_skipped: 1, skip_reason: "empty cell" })
    }))

  it.scoped("a 404 the source uses for \"nothing known\" is no findings", () =>
    Effect.gen(function*() {
      const { outcome } = yield* collectAgainst(listing, [
        { request: { path: "/s/example.test" }, response: { status: 404, body: "not found" } }
      ], { target: { type: "DOMAIN", value: "example.test" } })
      expect(Either.getOrThrow(outcome)).toEqual([])
    }))

  it.scoped("a status the source declares an answer (`answers`) is read like a 200; others still fail", () =>
    Effect.gen(function*() {
      const { empty: _, ...spec } = listingSpec
      const stillListing = scraper({ ...spec, answers: [404] })
      const notFound = { status: 404, headers: { "content-type": "text/html" }, body: page }
      const read = yield* collectAgainst(stillListing, [{ request: { path: "/s/example.test" }, response: notFound }], {
        target: { type: "DOMAIN", value: "example.test" }
      })
      expect(Either.getOrThrow(read.outcome).map((f) => f.value)).toEqual(["a.example.test", "www.example.test"])
      const gone = yield* collectAgainst(stillListing, [
        { request: { path: "/s/example.test" }, response: { ...notFound, status: 410 } }
      ], { target: { type: "DOMAIN", value: "example.test" } })
      expect(Either.getLeft(gone.outcome)).toMatchObject({ _tag: "Some", value: { _tag: "BadResponse", status: 410 } })
    }))
})
