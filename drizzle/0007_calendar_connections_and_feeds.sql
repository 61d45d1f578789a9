CREATE TABLE "calendar_connections" (
	"userId" text PRIMARY KEY NOT NULL,
	"url" text NOT NULL,
	"username" text NOT NULL,
	"sealedPassword" text NOT NULL,
	"calendarUrl" text NOT NULL,
	"status" text DEFAULT 'connected' NOT NULL,
	"checkedAt" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"createdAt" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "calendar_feeds" (
	"userId" text PRIMARY KEY NOT NULL,
	"tokenHash" text NOT NULL,
	"createdAt" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "calendar_feeds_tokenHash_unique" UNIQUE("tokenHash")
);
