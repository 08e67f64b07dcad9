/** rapiddns against a declared RapidDNS page: the request, names, addresses and CNAME targets from its table. */
import { describe, expect, it } from "@effect/vitest"
import { rapiddns } from "@mirage/modules/modules/rapiddns"
import { Effect, Either } from "effect"
import { collectAgainst } from "./support.js"

const target = { type: "DOMAIN" as const, value: "example.test" }
const request = { path: "/subdomain/example.test", query: { full: "1" }, headers: { accept: "text/html, */*" } }

const row = (n: number, name: string, value: string, type: string) =>
  `<tr><th scope="row ">${n}</th><td>${name}</td>
<td><a href="/sameip/${value}?t=cname#result" target="_blank" title="${value} same ip website">${value}</a></td>
<td>${type}</td><td>2024-05-01</td></tr>`

const page = (rows: ReadonlyArray<string>) => ({
  headers: { "content-type": "text/html; charset=utf-8" },
  body: `<html><body><div id="result"><table class="table table-striped table-bordered" id="table">
<thead><tr><th>#</th><th>Domain</th><th>Address</th><th>Type</th><th>Date</th></tr></thead>
<tbody>${rows.join("\n")}</tbody></table></div></body></html>`
})

describe("rapiddns", () => {
  it.scoped("reads each table row: names under the domain, A values as addresses, CNAME targets as names", () =>
    Effect.gen(function*() {
      const { outcome, server } = yield* collectAgainst(rapiddns, [{
        request,
        response: page([
          row(1, "www.example.test", "192.0.2.10", "A"),
          row(2, "cdn.example.test", "edge.example.test.", "CNAME"),
          row(3, "shop.example.test", "shops.provider.test.", "CNAME"),
          row(4, "example.test.evil.test", "198.51.100.1", "A")
        ])
      }], { target })
      yield* server.verify
      const findings = Either.getOrThrow(outcome)
      expect(findings.map((f) => `${f.type} ${f.value}`)).toEqual([
        "DOMAIN cdn.example.test",
        "DOMAIN edge.example.test",
        "DOMAIN shop.example.test",
        "DOMAIN www.example.test",
        "IP 192.0.2.10"
      ])
      expect(findings[0]?.source_data).toEqual({ evidence: [{ CNAME: "edge.example.test." }] })
    }))

  it.scoped("a row without a host name is skipped and counted; an empty table is no findings", () =>
    Effect.gen(function*() {
      const odd = yield* collectAgainst(rapiddns, [{
        request,
        response: page([row(1, "a.example.test", "192.0.2.1", "A"), "<tr><th>2</th><td></td><td>x</td></tr>"])
      }], { target })
      expect(Either.getOrThrow(odd.outcome).map((f) => f.value)).toEqual(["a.example.test", "192.0.2.1"])
      expect(odd.notes).toMatchObject({ rows_skipped: 1, skip_reason: "a table row without a host name" })
      const empty = yield* collectAgainst(rapiddns, [{ request, response: page([]) }], { target })
      expect(Either.getOrThrow(empty.outcome)).toEqual([])
    }))
})
