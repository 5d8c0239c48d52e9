with sessions as (
    select * from `acme-prod.analytics.stg_app__sessions`
),

users as (
    select * from `acme-prod.analytics.stg_app__users`
),

per_user as (
    select
        user_id,
        count(*) as session_count,
        countif(duration_seconds >= 60) as engaged_sessions,
        max(started_at) as last_seen_at
    from sessions
    group by user_id
)

select
    users.user_id,
    users.plan,
    per_user.session_count,
    per_user.engaged_sessions,
    safe_divide(per_user.engaged_sessions, per_user.session_count) as engagement_rate,
    per_user.last_seen_at
from users
join per_user on users.user_id = per_user.user_id
where users.plan in ('pro', 'team')
