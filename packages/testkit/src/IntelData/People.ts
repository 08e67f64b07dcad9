/** The sandbox's people and accounts: breaches, code, addresses on the web and in keys, profiles, tenants. */
import type * as ContactSources from "../ContactSources.js"
import type * as GithubServer from "../GithubServer.js"
import type * as HibpServer from "../HibpServer.js"
import type * as OrganizationSources from "../OrganizationSources.js"
import { domain, org } from "./Sandbox.js"

export const breaches: ReadonlyArray<HibpServer.Breach> = [
  {
    Name: "SandboxForums",
    Title: "Sandbox Forums",
    Domain: "sandboxforums.test",
    BreachDate: "2023-11-02",
    AddedDate: "2024-01-15T10:22:31Z",
    PwnCount: 184_223,
    Description: "In November 2023, the Sandbox Forums suffered a data breach exposing members' data.",
    DataClasses: ["Email addresses", "Passwords", "Usernames"],
    IsVerified: true,
    IsSensitive: false,
    IsSpamList: false
  },
  {
    Name: "ComboListSpam2024",
    Title: "Combo List Spam 2024",
    Domain: "",
    BreachDate: "2024-03-01",
    AddedDate: "2024-03-20T08:00:00Z",
    PwnCount: 2_019_112,
    Description: "A spam list of email addresses circulated in 2024.",
    DataClasses: ["Email addresses"],
    IsVerified: false,
    IsSensitive: false,
    IsSpamList: true
  },
  {
    Name: "Unrelated2022",
    Title: "Unrelated 2022",
    Domain: "unrelated.test",
    BreachDate: "2022-01-01",
    AddedDate: "2022-02-01T00:00:00Z",
    PwnCount: 1000,
    Description: "A breach no sandbox account is in.",
    DataClasses: ["Email addresses"],
    IsVerified: true,
    IsSensitive: false,
    IsSpamList: false
  }
]

export const breachedAccounts: Readonly<Record<string, ReadonlyArray<string>>> = {
  "hostmaster@mirage-sandbox.test": ["SandboxForums", "ComboListSpam2024"]
}

export const codeFiles: ReadonlyArray<GithubServer.CodeFile> = [
  {
    repository: "mirage-sandbox/infra",
    path: "deploy/inventory.yml",
    sha: "5e0c1d2b3a49f8e7d6c5b4a39281706f5e4d3c2b",
    content: [
      "all:",
      "  hosts:",
      "    staging.mirage-sandbox.test:",
      "      ansible_host: 192.0.2.20",
      "    ci.mirage-sandbox.test:",
      "      contact: devops@mirage-sandbox.test",
      ""
    ].join("\n")
  },
  {
    repository: "someone-else/notes",
    path: "README.md",
    sha: "0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b",
    content: "Links: https://mirage-sandbox.test/ and notmirage-sandbox.test (ask ca@othersite.example)\n"
  }
]

/** Addresses of the sandbox's people seen on the web (Skymem), the ones in public keys, and their profiles. */
export const webEmails: ReadonlyArray<string> = ["hostmaster@mirage-sandbox.test", "devops@mirage-sandbox.test"]

export const publicKeys: ReadonlyArray<ContactSources.PublicKey> = [
  {
    fingerprint: "3F0C9A1E5B7D2C4A6E8F0B1D3C5E7A9B1D3F5A7C",
    created: 1_556_668_800,
    flags: "",
    uids: ["Mirage Sandbox Hostmaster <hostmaster@mirage-sandbox.test>"]
  },
  {
    // Revoked: its address was real once.
    fingerprint: "9B1D3F5A7C3F0C9A1E5B7D2C4A6E8F0B1D3C5E7A",
    created: 1_420_070_400,
    flags: "r",
    uids: ["Sandbox DevOps <devops@mirage-sandbox.test>", "Someone Else <ca@othersite.example>"]
  }
]

export const profiles: ReadonlyArray<ContactSources.Profile> = [{
  email: "hostmaster@mirage-sandbox.test",
  username: "mirage-hostmaster",
  displayName: "Mirage Sandbox Hostmaster",
  accounts: [{ shortname: "github", username: "mirage-sandbox", url: "https://github.com/mirage-sandbox" }]
}]

/**
 * The sandbox's code account on Keybase, with what it has proven: its accounts elsewhere and its domains; and its
 * hostmaster, the code organization's public member, who proves his GitHub account and the company's domain.
 */
export const keybaseUsers: ReadonlyArray<ContactSources.KeybaseUser> = [{
  username: "mirage-sandbox",
  proofs: [
    { proof_type: "github", nametag: "mirage-sandbox", service_url: "https://github.com/mirage-sandbox" },
    { proof_type: "twitter", nametag: "miragesandbox", service_url: "https://twitter.com/miragesandbox" },
    { proof_type: "dns", nametag: "mirage-sandbox.test", service_url: "dns://mirage-sandbox.test" },
    {
      proof_type: "generic_web_site",
      nametag: "www.mirage-sandbox.test",
      service_url: "https://www.mirage-sandbox.test"
    }
  ]
}, {
  username: "mirage-hostmaster",
  proofs: [
    { proof_type: "github", nametag: "mirage-hostmaster", service_url: "https://github.com/mirage-hostmaster" },
    { proof_type: "dns", nametag: "mirage-sandbox.test", service_url: "dns://mirage-sandbox.test" }
  ]
}]

/** The sandbox company's Entra ID tenant, by its domain. */
export const tenants: ReadonlyArray<OrganizationSources.Tenant> = [
  { domain, id: "5d1c0f3e-8a2b-4c6d-9e7f-0a1b2c3d4e5f", brand: org }
]

/** The company's accounts on the code and image hosts (an organization, its public member, someone else's fork). */
export const codeAccounts: ReadonlyArray<OrganizationSources.CodeAccount> = [
  {
    login: "mirage-sandbox",
    kind: "organization",
    projects: [
      { name: "infra", description: "Deployment inventory" },
      { name: "website", description: "https://www.mirage-sandbox.test/" },
      { name: "api-gateway", description: "Edge gateway" },
      { name: "nginx", description: "Fork of nginx", fork: true }
    ],
    members: ["mirage-hostmaster"]
  },
  { login: "mirage-hostmaster", kind: "user", projects: [{ name: "dotfiles", description: "" }], members: [] }
]

/** The addresses Hunter indexed under the sandbox domain (one of another company's, seen on its pages). */
export const hunterEmails: ReadonlyArray<OrganizationSources.PublishedEmail> = [
  { value: "hostmaster@mirage-sandbox.test", firstName: "Host", lastName: "Master", position: "IT", confidence: 92 },
  { value: "devops@mirage-sandbox.test", confidence: 71 },
  { value: "ca@othersite.example", confidence: 30 }
]
