CREATE TABLE "chat_attachment_blobs" (
	"key" text PRIMARY KEY NOT NULL,
	"content" "bytea" NOT NULL,
	"createdAt" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "chat_attachments" (
	"id" text PRIMARY KEY NOT NULL,
	"messageId" text NOT NULL,
	"userId" text NOT NULL,
	"filename" text NOT NULL,
	"contentType" text NOT NULL,
	"size" integer NOT NULL,
	"store" text NOT NULL,
	"storageKey" text NOT NULL,
	"createdAt" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "chat_messages" ADD COLUMN "attachments" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "chat_attachments" ADD CONSTRAINT "chat_attachments_messageId_chat_messages_id_fk" FOREIGN KEY ("messageId") REFERENCES "public"."chat_messages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "chat_attachment_blobs_createdAt_idx" ON "chat_attachment_blobs" USING btree ("createdAt");--> statement-breakpoint
CREATE INDEX "chat_attachments_messageId_idx" ON "chat_attachments" USING btree ("messageId");--> statement-breakpoint
CREATE UNIQUE INDEX "chat_attachments_storageKey_key" ON "chat_attachments" USING btree ("storageKey");