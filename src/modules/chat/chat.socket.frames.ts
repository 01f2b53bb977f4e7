import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';

/*
 * The frames a chat client sends over the socket (docs/chat.md, "WebSocket"): one TypeBox schema
 * each, compiled once. A frame that parses as JSON but matches none of them is answered with an
 * `error` frame (`bad_frame`) and the socket stays open.
 */

const Id = Type.String({ pattern: '^[0-9]{1,20}$' });
const Seq = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const Ref = Type.Optional(Type.String({ minLength: 1, maxLength: 64 }));
/** The service checks the text's length in code points and trims it; this bounds the frame only. */
const Text = Type.String({ minLength: 1, maxLength: 16_000 });

const frames = {
  resume: Type.Object({ type: Type.Literal('resume'), ref: Ref, conversations: Type.Record(Id, Seq, { maxProperties: 1_000 }) }),
  send: Type.Object({ type: Type.Literal('send'), ref: Ref, conversationId: Id, clientId: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }), text: Text, replyTo: Type.Optional(Seq) }),
  edit: Type.Object({ type: Type.Literal('edit'), ref: Ref, conversationId: Id, seq: Seq, text: Text }),
  delete: Type.Object({ type: Type.Literal('delete'), ref: Ref, conversationId: Id, seq: Seq }),
  typing: Type.Object({ type: Type.Literal('typing'), ref: Ref, conversationId: Id }),
  delivered: Type.Object({ type: Type.Literal('delivered'), ref: Ref, conversationId: Id, seq: Seq }),
  read: Type.Object({ type: Type.Literal('read'), ref: Ref, conversationId: Id, seq: Seq }),
  presence: Type.Object({ type: Type.Literal('presence'), ref: Ref, status: Type.Union([Type.Literal('online'), Type.Literal('away')]) }),
  ping: Type.Object({ type: Type.Literal('ping'), ref: Ref }),
} satisfies Record<string, TSchema>;

type Frames = typeof frames;
/** A valid client frame. */
export type ClientFrame = { [K in keyof Frames]: Static<Frames[K]> }[keyof Frames];

const checks = Object.fromEntries(Object.entries(frames).map(([type, schema]) => [type, TypeCompiler.Compile(schema)])) as Record<string, TypeCheck<TSchema>>;

/** Why a parsed value is not a client frame: what the `error` frame's detail says. */
export type FrameProblem = { ref?: string; detail: string };

/**
 * Checks a parsed JSON value against the client frames: the frame, or what is wrong with it (the
 * first problem, with the frame's `ref` when it had a usable one so the client can match it).
 */
export function checkFrame(value: unknown): ClientFrame | FrameProblem {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { detail: 'A frame is a JSON object with a "type"' };
  const { type, ref } = value as { type?: unknown; ref?: unknown };
  const usableRef = typeof ref === 'string' && ref.length > 0 && ref.length <= 64 ? { ref } : {};
  const check = typeof type === 'string' && Object.hasOwn(checks, type) ? checks[type]! : undefined;
  if (check === undefined) return { ...usableRef, detail: `Unknown frame type ${JSON.stringify(String(type)).slice(0, 40)}` };
  if (check.Check(value)) return value as ClientFrame;
  const first = check.Errors(value).First();
  return { ...usableRef, detail: first === undefined ? `Bad ${type} frame` : `Bad ${type} frame: ${first.path || '/'} ${first.message}` };
}

/** True for a frame, false for a problem. */
export const isFrame = (checked: ClientFrame | FrameProblem): checked is ClientFrame => 'type' in checked;
