Feature: Corrections (更正)
  A wrong entry is never overwritten. A correction names the act it corrects, the field, the new
  value and the reason. The case then reads with the new value, while the history keeps what was
  first recorded and who corrected it. A correction may not put the acts out of order.

  Background:
    Given the organisation of 哈密市 and 伊州区 as on file
    And 伊州区信访局 registered case A on 2026-03-02
    And 伊州区信访局 transferred case A to 伊州区住房和城乡建设局 on 2026-03-03
    And 伊州区住房和城乡建设局 signed for case A on 2026-03-05

  Scenario: The housing bureau corrects the date it signed for the matter
    When 伊州区住房和城乡建设局 corrects the date of the 签收 on case A to 2026-03-04 on 2026-03-10: "签收日期录入错误，以签收回执为准"
    Then case A now shows the 签收 dated 2026-03-04
    And the history of case A keeps the 签收 as first recorded, on 2026-03-05, and its correction by 伊州区住房和城乡建设局: "签收日期录入错误，以签收回执为准"

  Scenario: The bureau corrects the channel a petition came by
    When 伊州区信访局 corrects the 信访形式 of the 登记 on case A to 来信 on 2026-03-10: "系来信，误录为来访"
    Then case A now shows the 信访形式 as 来信
    And the history of case A keeps the 信访形式 来访 as first recorded, and its correction to 来信 by 伊州区信访局: "系来信，误录为来访"

  Scenario: A receipt cannot be corrected to a day before the transfer
    When 伊州区住房和城乡建设局 corrects the date of the 签收 on case A to 2026-03-02 on 2026-03-10: "签收日期录入错误"
    Then the step is refused with "correction.out_of_order"
    And nothing was recorded
    And case A now shows the 签收 dated 2026-03-05

  Scenario: A receipt cannot be corrected to a day after the acceptance that rests on it
    Given 伊州区住房和城乡建设局 accepted case A on 2026-03-06
    When 伊州区住房和城乡建设局 corrects the date of the 签收 on case A to 2026-03-07 on 2026-03-10: "签收日期录入错误"
    Then the step is refused with "correction.out_of_order"
    And nothing was recorded

  Scenario: A unit cannot correct what another unit recorded
    When 伊州区人力资源和社会保障局 corrects the date of the 签收 on case A to 2026-03-04 on 2026-03-10: "签收日期录入错误"
    Then the step is refused with "correction.not_author"
    And nothing was recorded

  Scenario: A withdrawal cannot be corrected to a day before the acts that came before it
    Given 伊州区住房和城乡建设局 accepted case A on 2026-03-06
    And 伊州区住房和城乡建设局 recorded the petitioner's withdrawal of case A on 2026-03-20
    When 伊州区住房和城乡建设局 corrects the date of the 撤回 on case A to 2026-03-05 on 2026-03-21: "撤回日期录入错误"
    Then the step is refused with "correction.out_of_order"
    And nothing was recorded
