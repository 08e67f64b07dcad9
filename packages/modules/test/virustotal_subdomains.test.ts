/** virustotal_subdomains against a declared VirusTotal API: x-apikey, links.next paging on its origin only, keys. */
import { describe, expect, it } from "@effect/vitest"
import { virustotalSubdomains } from "@mirage/modules/modules/virustotal_subdomains"
import { Effect } from "effect"
import { checkKeyRejected, expectHidden, headersCarrying, target, values } from "./keyedSource.js"
import { collectAgainst } from "./support.js"

const key = "vt-key-0123456789"
const path = "/api/v3/domains/example.test/relationships/subdomains"
const page = (cursor?: string) => ({
  path,
  query: { limit: "40", ...(cursor === undefined ? {} : { cursor }) },
  headers: { "x-apikey": key }
})
const descriptor = (id: unknown) => ({ type: "domain", id })

describe("virustotal_subdomains", () => {
  it.scoped("asks with the key in x-apikey, following links.next; keeps in-scope names", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(virustotalSubdomains, [
        {
          request: page(),
          response: {
            json: {
              meta: { count: 3, cursor: "c2" },
              data: [descriptor("WWW.example.test"), descriptor("example.test.evil.test")],
              links: { self: `${path}?limit=40`, next: `${path}?cursor=c2&limit=40` }
            }
          }
        },
        {
          request: page("c2"),
          response: { json: { meta: { count: 3 }, data: [descriptor("mail.example.test")], links: { self: path } } }
        }
      ], { target, key })
      yield* run.server.verify
      expect(values(run.outcome)).toEqual(["mail.example.test", "www.example.test"])
      expect(headersCarrying(run.server, key)).toEqual(["x-apikey"])
      expectHidden(run, key)
    }))

  it.scoped("an odd row is skipped and counted; a next link off VirusTotal's origin is not followed, earlier rows kept", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(virustotalSubdomains, [{
        request: page(),
        response: {
          json: {
            data: [descriptor("a.example.test"), descriptor(7), { type: "url", id: "b.example.test" }],
            links: { next: "https://elsewhere.example/api/v3/domains/example.test/relationships/subdomains?cursor=x" }
          }
        }
      }], { target, key })
      yield* run.server.verify
      expect(values(run.outcome)).toEqual(["a.example.test"])
      expect(run.notes.rows_skipped).toBe(2)
      expect(run.notes.warnings).toEqual([expect.stringContaining("leaves its origin")])
    }))

  it.scoped("404 (a domain VirusTotal never saw) is no findings", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(virustotalSubdomains, [{
        request: page(),
        response: { status: 404, json: { error: { code: "NotFoundError", message: "Domain not found" } } }
      }], { target, key })
      expect(values(run.outcome)).toEqual([])
    }))

  it.scoped("a rejected key (401, 403) is AuthFailed; no key sends nothing", () =>
    checkKeyRejected(virustotalSubdomains, page(), key))
})
