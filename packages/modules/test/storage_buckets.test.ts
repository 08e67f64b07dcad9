/** storage_buckets against a local emulation of the providers' APIs: names guessed, open / private / none told apart. */
import { describe, expect, it } from "@effect/vitest"
import {
  candidateNames,
  probesFor,
  storageBuckets,
  StorageBucketsConfig,
  verdictOf
} from "@mirage/modules/modules/storage_buckets"
import * as HttpFixture from "@mirage/testkit/HttpFixture"
import { Effect, Either, Schema } from "effect"
import { contextFor } from "./support.js"

const listing = `<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>acme-backup</Name><Prefix></Prefix>
<KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>
<Contents><Key>db.sql.gz</Key><Size>1048576</Size></Contents></ListBucketResult>`
const noSuchBucket = `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message></Error>`
const accessDenied = `<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`
const azureListing = `<?xml version="1.0" encoding="utf-8"?><EnumerationResults ContainerName="public"><Blobs>
<Blob><Name>report.pdf</Name></Blob></Blobs></EnumerationResults>`

/** One emulation of every provider, path-style: `/s3/{bucket}/`, `/gcs/{bucket}/`, `/az/{account}/{container}`… */
const providers = HttpFixture.make("https://s3.amazonaws.com", (request) => {
  const path = request.url.pathname
  if (path === "/s3/acme-backup/") return HttpFixture.text(listing, 200, "application/xml")
  if (path === "/s3/acme/") return HttpFixture.text(accessDenied, 403, "application/xml")
  if (path === "/gcs/acme-assets/") return HttpFixture.text(accessDenied, 403, "application/xml")
  if (path === "/az/acme/public" && request.url.searchParams.get("comp") === "list") {
    return HttpFixture.text(azureListing, 200, "application/xml")
  }
  if (path === "/fb/acme/.json") return HttpFixture.json({ users: true, orders: true })
  if (path === "/fb/acme-dev/.json") return HttpFixture.json({ error: "Permission denied" }, 401)
  return HttpFixture.text(noSuchBucket, 404, "application/xml")
})

const config = (base: string) => ({
  templates: {
    s3: `${base}/s3/{bucket}/`,
    gcs: `${base}/gcs/{bucket}/`,
    azure: `${base}/az/{account}/{bucket}?restype=container&comp=list`,
    firebase: `${base}/fb/{bucket}/.json?shallow=true`,
    digitalocean: `${base}/do/{region}/{bucket}/`
  },
  suffixes: ["backup", "assets", "dev"],
  azure_containers: ["public"],
  digitalocean_regions: ["ams3"]
})

describe("storage_buckets", () => {
  it("guesses names from a domain or an organization, with suffixes, within max_names", () => {
    expect(candidateNames("acme.example", ["backup"], 40)).toEqual([
      "acme",
      "acme-example",
      "acme.example",
      "acmeexample",
      "acme-backup",
      "acme-example-backup",
      "acme.example-backup",
      "acmeexample-backup"
    ])
    expect(candidateNames("Acme Corp, Inc.", [], 40)).toEqual(["acme-corp-inc", "acmecorpinc"])
    expect(candidateNames("acme.example", ["a", "b", "c"], 3)).toHaveLength(3)
  })

  it("tells open, private and missing buckets apart", () => {
    expect(verdictOf("s3", 200, listing)).toBe("open")
    expect(verdictOf("s3", 403, accessDenied)).toBe("private")
    expect(verdictOf("s3", 404, noSuchBucket)).toBe("none")
    expect(verdictOf("azure", 200, azureListing)).toBe("open")
    expect(verdictOf("firebase", 200, "{\"a\":true}")).toBe("open")
    expect(verdictOf("firebase", 401, "{}")).toBe("private")
    expect(verdictOf("gcs", 301, "")).toBe("none")
  })

  it.scoped("asks each provider for each name; open buckets are sensitive URLs, private ones plain URLs", () =>
    Effect.gen(function*() {
      const server = yield* providers
      const { ctx } = yield* contextFor("storage_buckets", { dnsServers: [] })
      const session = yield* storageBuckets.open(config(server.url), ctx)
      const findings = yield* session.collect({ target: { type: "DOMAIN", value: "acme.example" } })
      const decoded = Either.getOrThrow(Schema.decodeUnknownEither(StorageBucketsConfig)(config(server.url)))
      const names = candidateNames("acme.example", decoded.suffixes, decoded.max_names)
      expect(server.requests()).toBe(probesFor(names, decoded).length)
      expect(findings.map((f) => [f.metadata["provider"], f.metadata["bucket"], f.metadata["public_listing"]]))
        .toEqual([
          ["s3", "acme", false],
          ["s3", "acme-backup", true],
          ["gcs", "acme-assets", false],
          ["azure", "acme/public", true],
          ["firebase", "acme", true],
          ["firebase", "acme-dev", false]
        ])
      expect(findings[1]).toMatchObject({
        type: "URL",
        value: `${server.url}/s3/acme-backup/`,
        confidence: 0.95,
        metadata: { sensitive: true, derived_from: "acme.example" }
      })
      expect(findings[0]?.metadata["sensitive"]).toBeUndefined()
    }))

  it.scoped("a provider that cannot be reached is no bucket; a bad config is refused; it is active and aggressive", () =>
    Effect.gen(function*() {
      const { ctx } = yield* contextFor("storage_buckets", { dnsServers: [] })
      const session = yield* storageBuckets.open({
        providers: ["s3"],
        suffixes: [],
        templates: { s3: "http://127.0.0.1:1/{bucket}/" }
      }, ctx)
      expect(yield* session.collect({ target: { type: "DOMAIN", value: "acme.example" } })).toEqual([])
      const refused = yield* Effect.flip(storageBuckets.open({ providers: ["dropbox"] }, ctx))
      expect(refused._tag).toBe("ModuleConfigError")
      expect(storageBuckets.flags).toEqual(["active", "aggressive"])
    }))
})
