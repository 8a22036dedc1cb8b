// Closed-loop load generator for bench/e2e. One phase per process; E2eBench starts it once per phase.
//
//   node loadgen.mjs '<json config>'
//
// config: {
//   mode:        "direct" | "broker"
//   url:         the seller's paid resource (both modes)
//   concurrency: requests in flight at any time
//   seconds:     how long to keep sending (a request started before the end is awaited and counted)
//   count:       alternatively, stop after this many requests (seconds is then a time limit)
//   out:         file to write every latency to (milliseconds, one per line), optional
//   direct: stripeUrl, stripeKey (sk_test_...), paymentMethod
//   broker: brokerUrl, tokens (agent bearer tokens, used round robin), taskPrefix, wait (Prefer: wait seconds, optional)
// }
//
// "direct" is what an agent holding its own Stripe key would run: the reference MPP client (mppx 0.11.0)
// with its stripe/charge method. mppx leaves minting the Shared Payment Token to a createToken callback;
// this one does exactly what mppx's own CLI does with a test key (dist/cli/plugins/stripe.js): POST the
// test helper /v1/test_helpers/shared_payment/granted_tokens with Basic auth and the preview Stripe-Version,
// here against the fake Stripe instead of api.stripe.com.
//
// Prints one JSON line: {mode, concurrency, requests, ok, failed, statuses, seconds, throughput, latencyMs:{...},
// cpu:{user, system} (microseconds of this process)}.
import { writeFileSync } from 'node:fs'
import { Mppx, stripe } from 'mppx/client'

const config = JSON.parse(process.argv[2])
const concurrency = config.concurrency ?? 1
const deadline = performance.now() + (config.seconds ?? 3600) * 1000
const limit = config.count ?? Number.MAX_SAFE_INTEGER

const STRIPE_PREVIEW_VERSION = '2026-07-29.preview'

function directClient() {
  const auth = `Basic ${btoa(`${config.stripeKey}:`)}`
  const sptUrl = `${config.stripeUrl}/v1/test_helpers/shared_payment/granted_tokens`
  const mppx = Mppx.create({
    polyfill: false,
    methods: [
      stripe.charge({
        paymentMethod: config.paymentMethod,
        createToken: async ({ paymentMethod, amount, currency, networkId, expiresAt, metadata }) => {
          const body = new URLSearchParams({
            payment_method: paymentMethod,
            'usage_limits[currency]': currency,
            'usage_limits[max_amount]': amount,
            'usage_limits[expires_at]': expiresAt.toString(),
          })
          if (networkId) body.set('seller_details[network_id]', networkId)
          if (metadata) for (const [k, v] of Object.entries(metadata)) body.set(`metadata[${k}]`, v)
          const response = await fetch(sptUrl, {
            method: 'POST',
            headers: {
              Authorization: auth,
              'Content-Type': 'application/x-www-form-urlencoded',
              'Stripe-Version': STRIPE_PREVIEW_VERSION,
            },
            body,
          })
          const json = await response.json()
          if (!response.ok) throw new Error(`mint failed: ${response.status} ${json?.error?.code}`)
          return json.id
        },
      }),
    ],
  })
  return async () => {
    const response = await mppx.fetch(config.url)
    const text = await response.text()
    return { status: response.status, ok: response.status === 200 && response.headers.has('payment-receipt'), text }
  }
}

function brokerClient() {
  let n = 0
  const endpoint = `${config.brokerUrl}/v1/payments`
  return async () => {
    const i = n++
    const token = config.tokens[i % config.tokens.length]
    const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }
    if (config.wait) headers.Prefer = `wait=${config.wait}`
    const response = await fetch(endpoint, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        task: `${config.taskPrefix ?? 'bench'}-${process.pid}-${i}`,
        purpose: 'benchmark',
        request: { method: 'GET', url: config.url },
      }),
    })
    const text = await response.text()
    let status = ''
    try {
      status = JSON.parse(text).status
    } catch {}
    return { status: `${response.status} ${status}`, ok: response.status === 200 && status === 'paid', text }
  }
}

const call = config.mode === 'direct' ? directClient() : brokerClient()
const latencies = []
const statuses = {}
const samples = []
let started = 0
let ok = 0
let failed = 0

async function worker() {
  while (started < limit && performance.now() < deadline) {
    started++
    const t0 = performance.now()
    let result
    try {
      result = await call()
    } catch (error) {
      result = { status: `error ${error?.cause?.code ?? error?.message ?? error}`, ok: false, text: '' }
    }
    const ms = performance.now() - t0
    statuses[result.status] = (statuses[result.status] ?? 0) + 1
    if (result.ok) {
      ok++
      latencies.push(ms)
    } else {
      failed++
      if (samples.length < 3) samples.push(`${result.status}: ${String(result.text).slice(0, 300)}`)
    }
  }
}

const t0 = performance.now()
await Promise.all(Array.from({ length: concurrency }, worker))
const seconds = (performance.now() - t0) / 1000

if (config.out) writeFileSync(config.out, latencies.map((l) => l.toFixed(3)).join('\n') + '\n')
const sorted = Float64Array.from(latencies).sort()
const pct = (p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : null)
console.log(
  JSON.stringify({
    mode: config.mode,
    concurrency,
    requests: ok + failed,
    ok,
    failed,
    statuses,
    failures: samples,
    seconds,
    throughput: ok / seconds,
    latencyMs: { p50: pct(50), p90: pct(90), p99: pct(99), max: pct(100) },
    cpu: process.cpuUsage(),
  }),
)
