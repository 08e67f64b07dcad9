/** sitedossier against a declared SiteDossier: the listing's pages by its next link, its captcha, odd links, the cap. */
import { describe, expect, it } from "@effect/vitest"
import { sitedossier } from "@mirage/modules/modules/sitedossier"
import { Effect } from "effect"
import { failure, target, values } from "./keyedSource.js"
import { collectAgainst } from "./support.js"

const first = { path: "/parentdomain/example.test", headers: { accept: "text/html, */*" } }
const at = (item: number) => ({ path: `/parentdomain/example.test/${item}` })

/** A listing page in SiteDossier's markup: sites as `/site/` links, then the next page's link if any. */
const listing = (start: number, sites: ReadonlyArray<string>, next?: number) => ({
  headers: { "content-type": "text/html" },
  body: `<html><head><title>Parent domain: example.test</title></head><body><center>
<h1>Parent domain: example.test</h1><br>
<font style="font-size: 9pt;"><dd> <i>Displaying items ${start} to ${start + 99}, out of a total of 250</i><br>
<ol start=${start}>
${sites.map((site) => `<li> &nbsp; <a href="/site/${site}">http://${site}/</a><br>`).join("\n")}
</ol>
${next === undefined ? "" : `<a href="/parentdomain/example.test/${next}"><b>Show next 100 items</b></a><br>`}
</font><a href="/parentdomain/other.test">other.test</a></center></body></html>`
})

const captchaPage = {
  headers: { "content-type": "text/html" },
  body: `<html><body><p>Our web servers have detected unusual or excessive requests from your computer or network.
Please enter the unique "word" below to confirm that you are a human interactively using this site.</p>
<form action="/captcha"><img src="/captcha.png"><input name="word"></form></body></html>`
}

describe("sitedossier", () => {
  it.scoped("reads the listing, then each page its \"Show next 100 items\" link names; keeps in-scope names", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(sitedossier, [
        {
          request: first,
          response: listing(1, ["www.example.test", "Mail.Example.test", "example.test.evil.test"], 101)
        },
        { request: at(101), response: listing(101, ["api.example.test", "www.example.test"], 201) },
        { request: at(201), response: listing(201, ["dev.example.test"]) }
      ], { target })
      yield* run.server.verify
      expect(values(run.outcome)).toEqual([
        "api.example.test",
        "dev.example.test",
        "mail.example.test",
        "www.example.test"
      ])
      expect(run.server.received().every((request) => request.headers.authorization === undefined)).toBe(true)
    }))

  it.scoped("a captcha on a later page (redirect or page) keeps the earlier pages' names; an odd link is counted", () =>
    Effect.gen(function*() {
      const redirected = yield* collectAgainst(sitedossier, [
        { request: first, response: listing(1, ["a.example.test", "a%zz", "-bad-"], 101) },
        { request: at(101), response: { status: 302, headers: { location: "/captcha" }, body: "" } }
      ], { target })
      yield* redirected.server.verify
      expect(values(redirected.outcome)).toEqual(["a.example.test"])
      expect(redirected.notes.rows_skipped).toBe(2)
      expect(redirected.notes.warnings).toEqual([expect.stringContaining("page 2 failed")])
      expect(redirected.notes.warnings[0]).toContain("captcha")
      const shown = yield* collectAgainst(sitedossier, [
        { request: first, response: listing(1, ["a.example.test"], 101) },
        { request: at(101), response: captchaPage }
      ], { target })
      expect(values(shown.outcome)).toEqual(["a.example.test"])
      expect(shown.notes.warnings).toEqual([expect.stringContaining("captcha")])
    }))

  it.scoped("a captcha first is RateLimited; \"No data\" (200 or 404) is no findings after one request", () =>
    Effect.gen(function*() {
      const blocked = yield* collectAgainst(sitedossier, [{ request: first, response: captchaPage }], { target })
      expect(failure(blocked.outcome)).toMatchObject({ _tag: "RateLimited" })
      for (const status of [200, 404]) {
        const none = yield* collectAgainst(sitedossier, [{
          request: first,
          response: {
            status,
            body: "<html><body><h1>Parent domain: example.test</h1>No data currently available.</body></html>"
          }
        }], { target })
        yield* none.server.verify
        expect(values(none.outcome)).toEqual([])
      }
    }))

  it.scoped("max_pages caps the listing, with a warning", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(sitedossier, [
        { request: first, response: listing(1, ["a.example.test"], 101) },
        { request: at(101), response: listing(101, ["b.example.test"], 201) }
      ], { target, config: { max_pages: 2 } })
      yield* run.server.verify
      expect(values(run.outcome)).toEqual(["a.example.test", "b.example.test"])
      expect(run.notes.warnings.join(" ")).toContain("max_pages")
    }))
})
