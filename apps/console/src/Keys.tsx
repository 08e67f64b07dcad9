/** API keys (admins): the organization's keys by prefix; a new key is shown once, at creation; revoke. */
import { useState } from "preact/hooks"
import type { ApiKeyListJson, CreateKeyJson, IssuedKeyJson } from "./Api.js"
import { call, messageOf } from "./Api.js"
import * as Format from "./Format.js"
import { useLoad } from "./Hooks.js"

export const Keys = () => {
  const keys = useLoad(() => call<ApiKeyListJson>("/api-keys"), [])
  const [name, setName] = useState("")
  const [role, setRole] = useState<CreateKeyJson["role"]>("analyst")
  const [issued, setIssued] = useState<IssuedKeyJson | null>(null)
  const [error, setError] = useState<string | undefined>(undefined)
  const create = async (event: Event) => {
    event.preventDefault()
    try {
      setIssued(await call<IssuedKeyJson>("/api-keys", { method: "POST", body: { name: name.trim(), role } }))
      setName("")
      setError(undefined)
      keys.reload()
    } catch (cause) {
      setError(messageOf(cause))
    }
  }
  const revoke = async (id: string, label: string) => {
    if (!confirm(`Revoke the key "${label}"? Whoever uses it loses access at once.`)) return
    try {
      await call(`/api-keys/${id}`, { method: "DELETE" })
      setError(undefined)
      keys.reload()
    } catch (cause) {
      setError(messageOf(cause))
    }
  }
  return (
    <section>
      <h1>API keys</h1>
      <form class="card row" onSubmit={create} aria-label="New API key">
        <label class="grow">
          Name
          <input required value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label>
          Role
          <select value={role} onChange={(e) => setRole(e.currentTarget.value as CreateKeyJson["role"])}>
            <option value="viewer">viewer</option>
            <option value="analyst">analyst</option>
            <option value="admin">admin</option>
          </select>
        </label>
        <button type="submit" disabled={name.trim() === ""}>Create key</button>
      </form>
      {issued && (
        <div class="card notice" role="status">
          <p>
            <b>Copy the key "{issued.name}" now:</b> it is shown this once and cannot be read again.
          </p>
          <p class="row">
            <code class="secret" data-testid="issued-key">{issued.key}</code>
            <button type="button" class="small" onClick={() => void navigator.clipboard?.writeText(issued.key)}>
              Copy
            </button>
            <button type="button" class="small ghost" onClick={() => setIssued(null)}>I have copied it</button>
          </p>
        </div>
      )}
      {(error ?? keys.error) && <p role="alert" class="error">{error ?? keys.error}</p>}
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Prefix</th>
              <th scope="col">Role</th>
              <th scope="col">Created</th>
              <th scope="col">Revoked</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {keys.data?.items.map((key) => (
              <tr>
                <td>{key.name}</td>
                <td class="mono">{key.prefix}…</td>
                <td>{key.role}</td>
                <td>{Format.time(key.created_at)}</td>
                <td>{Format.time(key.revoked_at)}</td>
                <td>
                  {key.revoked_at === null && (
                    <button
                      type="button"
                      class="small danger"
                      onClick={() => revoke(key.id, key.name)}
                    >
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  )
}
