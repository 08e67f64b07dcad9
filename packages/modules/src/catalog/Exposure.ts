/**
 * Modules of exposure: what a target's servers, mailboxes and scripts give away when asked (TLS versions, open
 * buckets, deliverable mailboxes, secrets in scripts), and where its people and APIs are published (pastes, Postman
 * workspaces, Keybase proofs).
 */
import type { Module } from "../Module.js"
import { hibpPastes } from "../modules/hibp_pastes.js"
import { jsSecrets } from "../modules/js_secrets.js"
import { keybase } from "../modules/keybase.js"
import { postman } from "../modules/postman.js"
import { smtpDeliverability } from "../modules/smtp_deliverability.js"
import { storageBuckets } from "../modules/storage_buckets.js"
import { tlsSummary } from "../modules/tls_summary.js"

export const exposureModules: ReadonlyArray<Module> = [
  tlsSummary,
  storageBuckets,
  hibpPastes,
  smtpDeliverability,
  jsSecrets,
  postman,
  keybase
]
