-- Baseline of Astegni's advertiser database (astegni_advertiser_db): adopt
-- whatever is there, change nothing in it.
--
-- The facts about this database are thin (docs/admin-target.md, "The
-- advertiser target"): the application's advertiser models make it with
-- SQLAlchemy's create_all (create_advertiser_db.py), scripts copy rows into it
-- from the user database and add columns later. Every advertiser database
-- has advertiser_profiles, the advertisers' accounts, whose id the other
-- advertiser tables and the user database's code point at. That is all this
-- target assumes, and all its spec checks (the key, and the user_id the user
-- database resolves).
--
-- So the baseline records the adoption point and creates advertiser_profiles
-- only where to_regclass() finds nothing under that name (a brand-new
-- database: the dev database, a test template): then as create_all makes it
-- from the models, so the application's own create_all, which skips a table
-- that exists, finds the table it would have made. An existing table, and
-- every other table, is never touched, so re-running this file changes
-- nothing. A team that knows more adopts it with `astegni-db inspect`
-- (docs/admin-target.md shows the commands).

DO $$
BEGIN
    IF to_regclass('advertiser_profiles') IS NULL THEN
        -- The models' AdvertiserProfile, as SQLAlchemy's PostgreSQL dialect
        -- emits it: Python-side defaults only, so no DEFAULT but the key's.
        CREATE TABLE advertiser_profiles (
            id serial PRIMARY KEY,
            user_id integer,
            email varchar,
            password_hash varchar,
            has_password boolean NOT NULL,
            email_verified boolean NOT NULL,
            phone varchar,
            first_name varchar,
            father_name varchar,
            last_login timestamp with time zone,
            username varchar,
            bio text,
            quote text,
            cover_image varchar,
            hero_title varchar[],
            hero_subtitle varchar[],
            is_active boolean,
            scheduled_deletion_at timestamp,
            joined_in date,
            two_factor_enabled boolean,
            two_factor_method varchar(50),
            two_factor_secret varchar(255),
            two_factor_backup_codes text,
            two_factor_temp_code varchar(10),
            two_factor_temp_expiry timestamp,
            two_factor_inapp_password varchar(255),
            two_factor_verification_token varchar(255),
            two_factor_verification_expiry timestamp,
            two_factor_protected_panels jsonb,
            brand_ids integer[],
            balance numeric(12,2),
            currency varchar(3),
            total_deposits numeric(12,2),
            total_spent numeric(12,2),
            last_transaction_at timestamp,
            default_cancellation_fee_percent numeric(5,2),
            company_name varchar(255),
            industry varchar(100),
            company_size varchar(50),
            business_reg_no varchar(100),
            tin_number varchar(50),
            website varchar(500),
            company_email jsonb,
            company_phone jsonb,
            address text,
            city varchar(100),
            company_description text,
            company_logo varchar(500),
            business_license_url varchar(500),
            tin_certificate_url varchar(500),
            additional_docs_urls jsonb,
            verification_submitted_at timestamp,
            verification_reviewed_at timestamp,
            verification_notes text,
            is_online boolean,
            last_seen timestamp with time zone,
            created_at timestamp with time zone,
            updated_at timestamp with time zone
        );
        CREATE INDEX ix_advertiser_profiles_id ON advertiser_profiles (id);
        CREATE INDEX ix_advertiser_profiles_user_id ON advertiser_profiles (user_id);
        CREATE UNIQUE INDEX ix_advertiser_profiles_username ON advertiser_profiles (username);
    END IF;
END
$$;
