with source as (
    select * from "warehouse"."raw_billing"."invoices"
),

renamed as (
    select
        id as invoice_id,
        account_id,
        total_cents::numeric / 100 as total,
        status,
        issued_at,
        paid_at
    from source
)

select * from renamed
