// A Next.js App Router route handler (app/webhooks/hookwire/route.ts); the same
// function serves any runtime with web Request/Response (Deno, Bun, Workers).
import { verify, WebhookVerificationError } from "hookwire";

export async function POST(request: Request): Promise<Response> {
  try {
    const event = await verify<{ type: string; data: unknown }>(
      await request.text(), request.headers, process.env.HOOKWIRE_WEBHOOK_SECRET!);
    console.log(event.type, event.data);
    return new Response(null, { status: 204 });
  } catch (error) {
    if (error instanceof WebhookVerificationError) return new Response(error.message, { status: 400 });
    throw error;
  }
}
