/** Modules that check what a target exposes by touching it: TLS versions, open buckets, mailboxes, pastes. */
import type { Module } from "../Module.js"
import { hibpPastes } from "../modules/hibp_pastes.js"
import { jsSecrets } from "../modules/js_secrets.js"
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
  postman
]
