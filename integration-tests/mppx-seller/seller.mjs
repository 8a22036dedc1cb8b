// A seller running the reference MPP server SDK (mppx 0.11.0) with its Stripe charge method, used by the
// broker's black-box tests. Stripe calls go to a local fake through the `stripe` SDK's host/port/protocol
// options: mppx's own `secretKey` option would hard-code https://api.stripe.com.
//
// Environment:
//   FAKE_STRIPE_URL    base URL of the fake Stripe, e.g. http://127.0.0.1:41234 (required)
//   STRIPE_SECRET_KEY  seller's Stripe key, sk_test_... (required, never printed)
//   MPP_NETWORK_ID     Stripe Business Network profile id offered in challenges (default profile_test_mppx)
//   MPP_SECRET_KEY     HMAC key for challenge ids, >= 32 bytes (default: random per process)
//   MPP_REALM          realm (default: mppx derives it from the request's Host)
//
// Routes (amounts are decimal strings with `decimals: 2`; mppx turns them into minor units):
//   GET  /paid/report      2.50 usd
//   POST /paid/echo        1.00 usd, echoes the request body (mppx 0.11.0 does not bind bodies: no digest)
//   GET  /paid/multi       2.50 usd or 2.30 eur, both offers in ONE WWW-Authenticate line
//   GET  /paid/auth-header 0.75 usd from an Mppx instance with requiresAuth: challenge carries
//                          header="Payment-Authorization" and the credential must go in that header
//   GET  /free             no payment
//   GET  /__payments       test introspection: receipts issued so far (JSON array)
//
// Prints `LISTENING <port>` on stdout once the server accepts connections.
import * as http from 'node:http'
import { randomBytes } from 'node:crypto'
import { Mppx, NodeListener, Request as MppxRequest, stripe } from 'mppx/server'
import Stripe from 'stripe'

const fakeStripeUrl = new URL(required('FAKE_STRIPE_URL'))
const stripeSecretKey = required('STRIPE_SECRET_KEY')
const networkId = process.env.MPP_NETWORK_ID || 'profile_test_mppx'
const mppSecretKey = process.env.MPP_SECRET_KEY || randomBytes(32).toString('base64')
const realm = process.env.MPP_REALM || undefined

const stripeClient = new Stripe(stripeSecretKey, {
  host: fakeStripeUrl.hostname,
  port: Number(fakeStripeUrl.port),
  protocol: fakeStripeUrl.protocol.replace(':', ''),
  // Retries would hide the fake's behaviour from the tests.
  maxNetworkRetries: 0,
  telemetry: false,
})

const chargeMethod = () =>
  stripe.charge({ client: stripeClient, networkId, paymentMethodTypes: ['card'], decimals: 2 })

const mppx = Mppx.create({ methods: [chargeMethod()], secretKey: mppSecretKey, realm })
const mppxAuth = Mppx.create({
  methods: [chargeMethod()],
  secretKey: mppSecretKey,
  realm,
  requiresAuth: true,
})

const payments = []
for (const instance of [mppx, mppxAuth]) {
  instance.onPaymentSuccess(({ challenge, receipt, request }) => {
    payments.push({
      challengeId: challenge.id,
      reference: receipt.reference,
      amount: request.amount,
      currency: request.currency,
    })
  })
}

const routes = {
  'GET /paid/report': {
    handler: mppx.charge({ amount: '2.50', currency: 'usd', description: 'Market report' }),
    respond: () => json(200, { report: 'market report', paid: true }),
  },
  'POST /paid/echo': {
    handler: mppx.charge({ amount: '1.00', currency: 'usd', description: 'Echo service' }),
    respond: (body) => json(200, { echo: body }),
  },
  'GET /paid/multi': {
    handler: mppx.compose(
      ['stripe/charge', { amount: '2.50', currency: 'usd', description: 'Report (usd)' }],
      ['stripe/charge', { amount: '2.30', currency: 'eur', description: 'Report (eur)' }],
    ),
    respond: () => json(200, { report: 'multi-currency report', paid: true }),
  },
  'GET /paid/auth-header': {
    handler: mppxAuth.charge({ amount: '0.75', currency: 'usd', description: 'Authenticated resource' }),
    respond: () => json(200, { resource: 'behind Payment-Authorization', paid: true }),
  },
}

const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, 'http://localhost')
    if (req.method === 'GET' && url.pathname === '/free') return send(res, json(200, { free: true }))
    if (req.method === 'GET' && url.pathname === '/__payments') return send(res, json(200, payments))
    const route = routes[`${req.method} ${url.pathname}`]
    if (!route) return send(res, json(404, { error: 'not found' }))

    const request = MppxRequest.fromNodeListener(req, res)
    // Read the body from a clone: mppx may inspect the original request.
    const body = req.method === 'GET' ? undefined : await request.clone().text()
    const result = await route.handler(request)
    if (result.status === 402) return send(res, result.challenge)
    return send(res, result.withReceipt(route.respond(body)))
  } catch (error) {
    console.error('seller error:', error instanceof Error ? error.message : String(error))
    return send(res, json(500, { error: 'internal' }))
  }
})

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`LISTENING ${server.address().port}\n`)
})

for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)))

function json(status, value) {
  return new Response(JSON.stringify(value), {
    status,
    headers: { 'Content-Type': 'application/json' },
  })
}

// mppx's own writer: merged challenges leave as one WWW-Authenticate line, 402 with an empty reason phrase.
function send(res, response) {
  return NodeListener.sendResponse(res, response)
}

function required(name) {
  const value = process.env[name]
  if (!value) {
    console.error(`missing environment variable ${name}`)
    process.exit(2)
  }
  return value
}
