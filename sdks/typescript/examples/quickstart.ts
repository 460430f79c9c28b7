import { createServer } from "node:http";
import { Hookwire, verify } from "hookwire";

const hw = new Hookwire({ baseUrl: process.env.HOOKWIRE_URL!, apiKey: process.env.HOOKWIRE_API_KEY! });
let secret = "";
const receiver = createServer(async (req, res) => {
  let body = "";
  for await (const chunk of req) body += chunk;
  console.log(JSON.stringify(await verify(body, req.headers, secret)));
  res.writeHead(204).end(() => receiver.close());
}).listen(0, "127.0.0.1", async () => {
  const port = (receiver.address() as { port: number }).port;
  secret = (await hw.webhooks.create({ url: `http://127.0.0.1:${port}/`, events: ["order.created"] })).secret!;
  await hw.publish("order.created", { id: 42 });
});
