with invoices as (
    select * from "warehouse"."staging"."stg_billing__invoices"
),

accounts as (
    select * from "warehouse"."staging"."stg_billing__accounts"
)

select
    invoices.invoice_id,
    accounts.account_name,
    invoices.total,
    invoices.issued_at
from invoices
join accounts on accounts.account_id = invoices.account_id
where invoices.paid_at is null
  and invoices.issued_at < now() - interval '30 days'
  and invoices.status <> 'void'
