import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { requirePrincipal } from '../accounts/index.js';
import {
  AddMembersBody,
  BlockView,
  ConversationPageView,
  ConversationParams,
  ConversationView,
  CreateConversationBody,
  EditBody,
  HistoryQuery,
  ListConversationsQuery,
  MemberParams,
  MessagePageView,
  MessageParams,
  MessageView,
  Problem,
  ReadBody,
  ReadView,
  RenameBody,
  RoleBody,
  SendBody,
  UserListView,
  UsernameParams,
} from './chat.schemas.js';
import type { ChatService } from './chat.service.js';

/** `/api/v1/conversations*` and `/api/v1/chat/blocks*` (docs/chat.md "HTTP API"); handlers one line each. */
export function chatRoutes(chat: ChatService): FastifyPluginAsync {
  return async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    const tags = ['chat'];
    const security = [{ bearer: [] }];
    const base = '/api/v1/conversations';

    app.post(
      base,
      { schema: { tags, security, summary: 'Start a direct conversation (200 when the pair has one already) or a group', body: CreateConversationBody, response: { 200: ConversationView, 201: ConversationView, 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem } } },
      async (request, reply) => {
        const { userId } = requirePrincipal(request);
        const body = request.body;
        if (body.kind === 'direct') {
          const { conversation, created } = await chat.createDirect(userId, body.with);
          return reply.code(created ? 201 : 200).header('location', `${base}/${conversation.id}`).send(conversation);
        }
        const conversation = await chat.createGroup(userId, { title: body.title, members: body.members });
        return reply.code(201).header('location', `${base}/${conversation.id}`).send(conversation);
      },
    );

    app.get(
      base,
      { schema: { tags, security, summary: 'Your conversations, most recent activity first, with unread counts', querystring: ListConversationsQuery, response: { 200: ConversationPageView, 400: Problem, 401: Problem } } },
      async (request) => chat.list(requirePrincipal(request).userId, request.query),
    );

    app.get(
      `${base}/:id`,
      { schema: { tags, security, summary: 'One of your conversations with its members (404 if you are not a member)', params: ConversationParams, response: { 200: ConversationView, 400: Problem, 401: Problem, 404: Problem } } },
      async (request) => chat.get(requirePrincipal(request).userId, request.params.id),
    );

    app.patch(
      `${base}/:id`,
      { schema: { tags, security, summary: 'Rename a group (owner or admin)', params: ConversationParams, body: RenameBody, response: { 200: ConversationView, 400: Problem, 401: Problem, 403: Problem, 404: Problem } } },
      async (request) => chat.rename(requirePrincipal(request).userId, request.params.id, request.body.title),
    );

    app.post(
      `${base}/:id/members`,
      { schema: { tags, security, summary: 'Add users to a group (owner or admin; at most 500 members)', params: ConversationParams, body: AddMembersBody, response: { 200: ConversationView, 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem } } },
      async (request) => chat.addMembers(requirePrincipal(request).userId, request.params.id, request.body.usernames),
    );

    app.delete(
      `${base}/:id/members/:username`,
      { schema: { tags, security, summary: 'Leave (your own name; an owner hands over) or remove a member (owner: anyone; admin: members)', params: MemberParams, response: { 204: Type.Null(), 400: Problem, 401: Problem, 403: Problem, 404: Problem } } },
      async (request, reply) => {
        await chat.removeMember(requirePrincipal(request).userId, request.params.id, request.params.username);
        return reply.code(204).send(null);
      },
    );

    app.patch(
      `${base}/:id/members/:username`,
      { schema: { tags, security, summary: 'Make a member an admin, or an admin a member (owner only)', params: MemberParams, body: RoleBody, response: { 200: ConversationView, 400: Problem, 401: Problem, 403: Problem, 404: Problem } } },
      async (request) => chat.setRole(requirePrincipal(request).userId, request.params.id, request.params.username, request.body.role),
    );

    app.get(
      `${base}/:id/messages`,
      { schema: { tags, security, summary: 'Messages ascending by seq: before a seq, after one, or the latest; tombstones included', params: ConversationParams, querystring: HistoryQuery, response: { 200: MessagePageView, 400: Problem, 401: Problem, 404: Problem } } },
      async (request) => chat.history(requirePrincipal(request).userId, request.params.id, request.query),
    );

    app.post(
      `${base}/:id/messages`,
      { schema: { tags, security, summary: 'Send a message (201; 200 with the stored one on a resend of its clientId)', params: ConversationParams, body: SendBody, response: { 200: MessageView, 201: MessageView, 400: Problem, 401: Problem, 403: Problem, 404: Problem, 429: Problem } } },
      async (request, reply) => {
        const { message, created } = await chat.send(requirePrincipal(request).userId, request.params.id, request.body);
        return reply.code(created ? 201 : 200).send(message);
      },
    );

    app.patch(
      `${base}/:id/messages/:seq`,
      { schema: { tags, security, summary: 'Edit your message (it keeps its seq; versionSeq moves)', params: MessageParams, body: EditBody, response: { 200: MessageView, 400: Problem, 401: Problem, 403: Problem, 404: Problem } } },
      async (request) => chat.edit(requirePrincipal(request).userId, request.params.id, request.params.seq, request.body.text),
    );

    app.delete(
      `${base}/:id/messages/:seq`,
      { schema: { tags, security, summary: 'Delete a message (its author, an admin or the owner): a tombstone', params: MessageParams, response: { 204: Type.Null(), 400: Problem, 401: Problem, 403: Problem, 404: Problem } } },
      async (request, reply) => {
        await chat.remove(requirePrincipal(request).userId, request.params.id, request.params.seq);
        return reply.code(204).send(null);
      },
    );

    app.post(
      `${base}/:id/read`,
      { schema: { tags, security, summary: 'Move your read mark up to a seq (never down)', params: ConversationParams, body: ReadBody, response: { 200: ReadView, 400: Problem, 401: Problem, 404: Problem } } },
      async (request) => chat.markRead(requirePrincipal(request).userId, request.params.id, request.body.seq),
    );

    app.get(
      '/api/v1/chat/blocks',
      { schema: { tags, security, summary: 'The users you blocked', response: { 200: UserListView, 401: Problem } } },
      async (request) => ({ items: await chat.blocks(requirePrincipal(request).userId) }),
    );

    app.put(
      '/api/v1/chat/blocks/:username',
      { schema: { tags, security, summary: 'Block a user: no direct messages either way, no presence or typing (idempotent)', params: UsernameParams, response: { 200: BlockView, 400: Problem, 401: Problem, 404: Problem } } },
      async (request) => {
        await chat.block(requirePrincipal(request).userId, request.params.username);
        return { blocked: true };
      },
    );

    app.delete(
      '/api/v1/chat/blocks/:username',
      { schema: { tags, security, summary: 'Lift a block (idempotent)', params: UsernameParams, response: { 200: BlockView, 401: Problem, 404: Problem } } },
      async (request) => {
        await chat.unblock(requirePrincipal(request).userId, request.params.username);
        return { blocked: false };
      },
    );
  };
}
