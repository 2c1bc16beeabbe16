Feature: The supervisor's decisions and the two senses of "as of"
  A supervisor confirms or dismisses each finding, with a reason; whether consequences were
  serious is a human judgement recorded later. Review bodies look at a case as the system knew it
  at a moment, or as it really stood then once late entries are counted.

  Background:
    Given the organisation of 哈密市 and 伊州区 as on file
    And today is 2026-03-06 09:00
    And 伊州区信访局 registered case A on 2026-03-02
    And 伊州区信访局 transferred case A to 伊州区住房和城乡建设局 on 2026-03-03
    And 伊州区住房和城乡建设局 signed for case A on 2026-03-04
    And 伊州区住房和城乡建设局 accepted case A on 2026-03-05
    And 伊州区住房和城乡建设局 told the petitioner of case A in writing on 2026-03-05 (受理告知)

  Scenario: The district bureau confirms an overdue finding
    Given today is 2026-05-09 18:00
    When findings on case A are evaluated as of 2026-05-08
    Then a 不作为 finding "受理后60日（含批准延期）内未办结" names 伊州区住房和城乡建设局
    When 伊州区信访局 confirms that finding on 2026-05-09: "经核实，确未按期办结"
    Then the finding stands as 已确认

  Scenario: The district bureau dismisses a finding, giving its reason
    Given today is 2026-05-09 18:00
    When findings on case A are evaluated as of 2026-05-08
    Then a 不作为 finding "受理后60日（含批准延期）内未办结" names 伊州区住房和城乡建设局
    When 伊州区信访局 dismisses that finding on 2026-05-09: "处理意见书已按期出具，系漏录"
    Then the finding stands as 已排除

  Scenario: A dismissal without a reason is refused
    Given today is 2026-05-09 18:00
    When findings on case A are evaluated as of 2026-05-08
    Then a 不作为 finding "受理后60日（含批准延期）内未办结" names 伊州区住房和城乡建设局
    When 伊州区信访局 dismisses that finding on 2026-05-09: " "
    Then the dismissal is refused with "field.required"

  Scenario: As the system knew it: the reply entered late was not yet there
    Given today is 2026-05-20 09:00
    And 伊州区住房和城乡建设局 issued its reply on case A on 2026-04-01: 支持
    When findings on case A are evaluated as the system knew it on 2026-05-10
    Then a 不作为 finding "受理后60日（含批准延期）内未办结" names 伊州区住房和城乡建设局
    And it counts 4 days

  Scenario: As it really stood: the reply of 1 April counts, entered late or not
    Given today is 2026-05-20 09:00
    And 伊州区住房和城乡建设局 issued its reply on case A on 2026-04-01: 支持
    When findings on case A are evaluated as of 2026-05-10
    Then there is no "受理后60日（含批准延期）内未办结" finding
