with invoices as (
    select * from "warehouse"."staging"."stg_billing__invoices"
),

monthly as (
    select
        date_trunc('month', issued_at) as month,
        sum(total) as mrr
    from invoices
    where status = 'paid'
    group by 1
),

ranked as (
    select
        month,
        mrr,
        lag(mrr) over (order by month) as previous_mrr
    from monthly
)

select
    month,
    mrr,
    mrr - coalesce(previous_mrr, 0) as mrr_change
from ranked
