-- Why the bot sent a message (a bot or system reply: the plugin and what
-- it matched), or why it did not answer one (a customer's message: the
-- plan's messages were used up), as JSON; NULL for every other message.
ALTER TABLE messages ADD COLUMN bot_reason TEXT;
