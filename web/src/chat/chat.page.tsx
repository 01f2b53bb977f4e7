import { useEffect } from 'react';
import { ConversationList } from './conversation-list.js';
import { MessagePane } from './message-pane.js';
import { NewConversation } from './new-conversation.js';
import { useChat } from './use-chat.js';

/**
 * `/chat` and `/chat/:id`: the conversations (most recent first, unread counts, last message),
 * a form to start one, and the open conversation's messages, live over the chat's WebSocket.
 * On a narrow screen the list and the conversation take the screen in turn.
 */
export default function ChatPage({ conversationId }: { conversationId?: string | undefined }) {
  const { state, client } = useChat();

  // The open conversation is read while the tab is visible; a hidden tab is "away".
  useEffect(() => {
    const update = () => {
      const shown = document.visibilityState === 'visible';
      client.setVisible(shown ? (conversationId ?? null) : null);
      client.presence(shown ? 'online' : 'away');
    };
    update();
    document.addEventListener('visibilitychange', update);
    return () => {
      document.removeEventListener('visibilitychange', update);
      client.setVisible(null);
    };
  }, [client, conversationId]);

  return (
    <section aria-labelledby="chat-title" className={conversationId === undefined ? 'chat' : 'chat chat-open'} data-socket={state.status}>
      <div className="chat-head">
        <h1 id="chat-title">Chat</h1>
        <div role="status" className="chat-connection">
          {state.status === 'reconnecting' && <p className="chat-reconnecting">Connection lost — reconnecting…</p>}
          {state.status === 'connecting' && <p className="muted">Connecting…</p>}
        </div>
      </div>
      <div className="chat-layout">
        <aside className="chat-side" aria-label="Conversations">
          <NewConversation client={client} />
          <ConversationList state={state} client={client} current={conversationId} />
        </aside>
        {conversationId === undefined ? (
          <div className="chat-pane chat-none">
            <p className="muted">Pick a conversation, or start one.</p>
          </div>
        ) : (
          <MessagePane key={conversationId} id={conversationId} state={state} client={client} />
        )}
      </div>
    </section>
  );
}
