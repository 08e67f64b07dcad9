/**
 * Tenancy: who is calling and what they did.
 *
 * API keys and their organizations and roles (ApiKeys), and the audit log of every command (Audit).
 */
export * as ApiKeys from "./ApiKeys.js"
export * as Audit from "./Audit.js"
